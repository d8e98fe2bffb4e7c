package dev.tooltune.grammar.vocabulary;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.grammar.automaton.Frame;
import dev.tooltune.grammar.automaton.StringFrame;
import dev.tooltune.grammar.mask.LocalMask;
import dev.tooltune.grammar.mask.LocalRises;
import dev.tooltune.grammar.mask.StringMasks;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A vocabulary prepared for constrained decoding: each token's bytes, the token trie, the stop tokens, and the local
 * masks that every grammar shares (the inside of a string). Built once per tokenizer (about a second for Gemma 3).
 */
public final class GrammarVocabulary {
    private static final int SHARED_LIMIT = 1024;

    private final byte[][] tokenBytes;
    private final TokenTrie trie;
    private final int[] stopTokens;
    private final Map<Frame, LocalMask> sharedLocalMasks = new ConcurrentHashMap<>();
    private final Map<Frame, LocalRises> sharedLocalRises = new ConcurrentHashMap<>();
    private final StringMasks stringMasks;

    /**
     * @param tokenBytes each token's bytes by id; null for control tokens, which are never generated as text
     * @param stopTokens the tokens that end the output (end of turn, end of sequence)
     */
    public GrammarVocabulary(byte[][] tokenBytes, int... stopTokens) {
        this.tokenBytes = tokenBytes;
        this.trie = new TokenTrie(tokenBytes);
        this.stopTokens = stopTokens.clone();
        this.stringMasks = new StringMasks(trie);
        // A string's remaining length is exact for masks only up to the longest token.
        synchronized (StringFrame.class) {
            StringFrame.saturation = Math.max(StringFrame.saturation, trie.maxDepth());
        }
    }

    public static GrammarVocabulary of(GemmaTokenizer tokenizer) {
        byte[][] bytes = new byte[tokenizer.vocabSize()][];
        for (int id = 0; id < bytes.length; id++) {
            if (!tokenizer.isSpecial(id)) {
                bytes[id] = tokenizer.tokenBytesView(id);
            }
        }
        return new GrammarVocabulary(bytes, tokenizer.endOfTurnId(), tokenizer.eosId());
    }

    public TokenTrie trie() {
        return trie;
    }

    public int vocabSize() {
        return tokenBytes.length;
    }

    /** The token's bytes (not to be modified), or null for a control token. */
    public byte[] bytes(int token) {
        return tokenBytes[token];
    }

    public int[] stopTokens() {
        return stopTokens.clone();
    }

    public boolean isStop(int token) {
        for (int stop : stopTokens) {
            if (stop == token) {
                return true;
            }
        }
        return false;
    }

    /** Local masks of plain strings, derived from one walk per character-in-progress state. */
    public StringMasks stringMasks() {
        return stringMasks;
    }

    /** Local masks of frames that depend on no grammar, shared by all grammars over this vocabulary (bounded). */
    public Map<Frame, LocalMask> sharedLocalMasks() {
        if (sharedLocalMasks.size() > SHARED_LIMIT) {
            sharedLocalMasks.clear();
        }
        return sharedLocalMasks;
    }

    /** Token rises of those shared frames, for budgets (bounded likewise). */
    public Map<Frame, LocalRises> sharedLocalRises() {
        if (sharedLocalRises.size() > SHARED_LIMIT) {
            sharedLocalRises.clear();
        }
        return sharedLocalRises;
    }
}
