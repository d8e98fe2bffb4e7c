package dev.tooltune.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** The real Gemma 3 vocabulary, loaded once per test JVM, and a sampler that draws under a constraint. */
final class Fixtures {
    private static ConstrainedDecoding decoding;

    private Fixtures() {}

    static synchronized ConstrainedDecoding decoding() {
        if (decoding == null) {
            decoding = ConstrainedDecoding.of(GemmaTokenizer.loadDefault());
        }
        return decoding;
    }

    /**
     * The seed of a property test: a new one every run, so that runs explore, printed with the test's name so that a
     * failure can be replayed with {@code -Dproperty.seed=N} (the property dataset-service's property test reads too).
     */
    static long seed() {
        StackWalker.StackFrame caller = StackWalker.getInstance().walk(frames -> frames.skip(1).findFirst()).orElseThrow();
        long seed = Long.getLong("property.seed", new java.security.SecureRandom().nextLong());
        System.out.printf("%s.%s seed: %d (replay with -Dproperty.seed=%d)%n",
                caller.getClassName().substring(caller.getClassName().lastIndexOf('.') + 1), caller.getMethodName(), seed, seed);
        return seed;
    }

    static GemmaTokenizer tokenizer() {
        return GemmaTokenizer.loadDefault();
    }

    /** What one sampled generation produced. */
    record Sample(int[] tokens, String text, boolean finished) {}

    /**
     * Samples up to {@code maxTokens} tokens under {@code constraint} with random logits and that token budget: each
     * step draws among the allowed tokens, three times in four among the structural ones (bytes of JSON syntax, so
     * that outputs have nesting and several properties), and ends where it may one time in three. Fails (throws) when
     * the mask is empty where the output cannot end: a dead end.
     */
    static Sample sample(TokenConstraint constraint, Random random, int maxTokens) {
        return sample(constraint, random, maxTokens, false);
    }

    /**
     * Like {@link #sample(TokenConstraint, Random, int)}; with {@code uniform}, every allowed token is equally likely
     * (random logits, no preference for syntax), so only the token budget makes strings and arrays close.
     */
    static Sample sample(TokenConstraint constraint, Random random, int maxTokens, boolean uniform) {
        return sample(constraint, random, maxTokens, uniform, null);
    }

    /**
     * Uniform sampling among the allowed tokens of one byte (and the stop tokens). Budgets count bytes (each a token
     * at worst), so only here is a budget of exactly the shortest completion plus one tight: every token must lower
     * the completion by one and the last must be end-of-turn. Multi-byte tokens would leave slack that hides an
     * off-by-one in the budget.
     */
    static Sample sampleBytewise(TokenConstraint constraint, Random random, int maxTokens) {
        return sample(constraint, random, maxTokens, true, singleByteTokens());
    }

    private static Sample sample(TokenConstraint constraint, Random random, int maxTokens, boolean uniform, long[] only) {
        GemmaTokenizer tokenizer = tokenizer();
        long[] structural = structuralTokens(false);
        long[] closing = structuralTokens(true);
        long[] mask = new long[structural.length];
        int[] out = new int[maxTokens];
        int n = 0;
        while (n < maxTokens && !constraint.isDone()) {
            if (constraint.canStop() && random.nextInt(3) == 0) {
                constraint.accept(GemmaTokenizer.END_OF_TURN_ID);
                out[n++] = GemmaTokenizer.END_OF_TURN_ID;
                break;
            }
            constraint.allowedTokens(mask, maxTokens - n);
            if (only != null) {
                for (int w = 0; w < mask.length; w++) {
                    mask[w] &= only[w];
                }
            }
            // After a while, prefer tokens that close something, so that unbounded arrays and objects end.
            long[] preferred = n > 150 ? closing : structural;
            int count = 0;
            int structuralCount = 0;
            for (int w = 0; w < mask.length; w++) {
                count += Long.bitCount(mask[w]);
                structuralCount += Long.bitCount(mask[w] & preferred[w]);
            }
            if (count == 0) {
                throw new AssertionError("dead end after " + n + " tokens: " + tokenizer.decode(java.util.Arrays.copyOf(out, n)));
            }
            boolean pickStructural = !uniform && structuralCount > 0 && random.nextInt(4) != 0;
            int k = random.nextInt(pickStructural ? structuralCount : count);
            int token = -1;
            for (int w = 0; w < mask.length && token < 0; w++) {
                long word = pickStructural ? mask[w] & preferred[w] : mask[w];
                int bits = Long.bitCount(word);
                if (k >= bits) {
                    k -= bits;
                    continue;
                }
                for (; k > 0; k--) {
                    word &= word - 1;
                }
                token = w << 6 | Long.numberOfTrailingZeros(word);
            }
            constraint.accept(token);
            out[n++] = token;
            if (token == GemmaTokenizer.END_OF_TURN_ID || token == GemmaTokenizer.EOS_ID) {
                break;
            }
        }
        int[] tokens = java.util.Arrays.copyOf(out, n);
        boolean finished = constraint.isDone() || n > 0 && tokens[n - 1] == GemmaTokenizer.END_OF_TURN_ID;
        return new Sample(tokens, tokenizer.decode(tokens), finished);
    }

    private static long[] structuralMask;
    private static long[] closingMask;
    private static long[] singleByteMask;

    /** Tokens of exactly one byte, and the stop tokens. */
    private static synchronized long[] singleByteTokens() {
        if (singleByteMask == null) {
            GemmaTokenizer tokenizer = tokenizer();
            long[] mask = new long[(tokenizer.vocabSize() + 63) >>> 6];
            for (int token = 0; token < tokenizer.vocabSize(); token++) {
                if (token == GemmaTokenizer.END_OF_TURN_ID || token == GemmaTokenizer.EOS_ID
                        || !tokenizer.isSpecial(token) && tokenizer.tokenBytesView(token).length == 1) {
                    mask[token >>> 6] |= 1L << token;
                }
            }
            singleByteMask = mask;
        }
        return singleByteMask;
    }

    /** Tokens with a byte of JSON or fence syntax (or, when {@code closing}, one closing byte alone), and the stop tokens. */
    private static synchronized long[] structuralTokens(boolean closing) {
        if (closing && closingMask != null) {
            return closingMask;
        }
        if (closing || structuralMask == null) {
            String bytesWanted = closing ? "\"}]`" : "\"{}[],`\n";
            GemmaTokenizer tokenizer = tokenizer();
            long[] mask = new long[(tokenizer.vocabSize() + 63) >>> 6];
            for (int token = 0; token < tokenizer.vocabSize(); token++) {
                boolean structural = token == GemmaTokenizer.END_OF_TURN_ID || token == GemmaTokenizer.EOS_ID;
                if (!tokenizer.isSpecial(token) && (!closing || tokenizer.tokenBytesView(token).length == 1)) {
                    for (byte b : tokenizer.tokenBytesView(token)) {
                        structural |= bytesWanted.indexOf(b) >= 0;
                    }
                }
                if (structural) {
                    mask[token >>> 6] |= 1L << token;
                }
            }
            if (closing) {
                closingMask = mask;
                return mask;
            }
            structuralMask = mask;
        }
        return structuralMask;
    }

    /** {@code schema} without the keywords the grammar leaves to the post-check. */
    static JsonNode enforcedOnly(JsonNode schema, Set<String> postChecked) {
        JsonNode copy = schema.deepCopy();
        strip(copy, postChecked);
        return copy;
    }

    private static void strip(JsonNode node, Set<String> keywords) {
        if (node instanceof ObjectNode object) {
            object.remove(keywords);
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                strip(fields.next().getValue(), keywords);
            }
        } else if (node != null && node.isArray()) {
            node.forEach(child -> strip(child, keywords));
        }
    }

    static JsonNode json(String text) {
        try {
            return ChatJson.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
