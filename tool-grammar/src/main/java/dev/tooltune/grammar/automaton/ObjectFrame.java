package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaNode;

/**
 * A JSON object of a schema, after its {@code {}: keys from {@code properties} (each once), other keys only where
 * {@code additionalProperties} allows them (then without backslash escapes, so that no escaped spelling of a declared
 * name slips through as an extra key), {@code required} keys before the closing brace. Separators are {@code ,} and
 * {@code :}, each optionally followed by one space (compact or canonical JSON).
 *
 * @param seen bit i: property i has been written
 * @param key the property whose value comes next (-1: an additional key)
 * @param keyNode while reading a key: the node in the trie of property names, or -1 once the key matches none
 * @param keyUtf8 while reading a key: the {@link Utf8} state, or {@link #AFTER_BACKSLASH}
 */
public record ObjectFrame(SchemaNode node, int phase, long seen, int key, int keyNode, int keyUtf8) implements Frame {
    static final int OPEN = 0;
    static final int AFTER_COMMA = 1;
    static final int AFTER_COMMA_SPACE = 2;
    static final int IN_KEY = 3;
    static final int AFTER_KEY = 4;
    static final int AFTER_COLON = 5;
    static final int AFTER_COLON_SPACE = 6;
    static final int AFTER_VALUE = 7;
    /** A key's backslash matched a property name: the escape must go on matching it. */
    static final int AFTER_BACKSLASH = 1;

    static ObjectFrame open(SchemaNode node) {
        return new ObjectFrame(node, OPEN, 0, -1, 0, 0);
    }

    private ObjectFrame with(int phase) {
        return new ObjectFrame(node, phase, seen, key, keyNode, keyUtf8);
    }

    @Override
    public State feed(State self, int b) {
        switch (phase) {
            case OPEN:
                if (b == '}') {
                    return close(self);
                }
                return b == '"' && node.canAddProperty(seen) ? startKey(self) : null;
            case AFTER_COMMA:
                if (b == ' ') {
                    return self.replaceTop(with(AFTER_COMMA_SPACE));
                }
                return b == '"' ? startKey(self) : null;
            case AFTER_COMMA_SPACE:
                return b == '"' ? startKey(self) : null;
            case IN_KEY:
                return keyByte(self, b);
            case AFTER_KEY:
                return b == ':' ? self.replaceTop(with(AFTER_COLON)) : null;
            case AFTER_COLON:
                if (b == ' ') {
                    return self.replaceTop(with(AFTER_COLON_SPACE));
                }
                return value(self, b);
            case AFTER_COLON_SPACE:
                return value(self, b);
            case AFTER_VALUE:
                if (b == '}') {
                    return close(self);
                }
                return b == ',' && node.canAddProperty(seen) ? self.replaceTop(with(AFTER_COMMA)) : null;
            default:
                throw new IllegalStateException("phase " + phase);
        }
    }

    private State close(State self) {
        return (seen & node.required) == node.required ? self.rest() : null;
    }

    private State startKey(State self) {
        return self.replaceTop(new ObjectFrame(node, IN_KEY, seen, -1, 0, 0));
    }

    private State keyByte(State self, int b) {
        ByteTrie names = node.propertyKeys;
        if (b == '"' && keyUtf8 == 0) {
            int declared = keyNode >= 0 ? names.terminal(keyNode) : -1;
            if (declared >= 0) {
                if ((seen & (1L << declared)) != 0 || node.propertySchemas.get(declared).types == 0) {
                    return null;
                }
                return self.replaceTop(new ObjectFrame(node, AFTER_KEY, seen, declared, 0, 0));
            }
            return node.additional != null ? self.replaceTop(new ObjectFrame(node, AFTER_KEY, seen, -1, 0, 0)) : null;
        }
        if (b < 0x20) {
            return null;
        }
        int child = keyNode >= 0 ? names.child(keyNode, b) : -1;
        if (child >= 0 && (node.additional != null || (names.entriesBelow(child) & node.addable(seen)) != 0)) {
            int utf8 = keyUtf8 == AFTER_BACKSLASH ? 0 : Utf8.next(keyUtf8, b);
            if (b == '\\' && keyUtf8 != AFTER_BACKSLASH) {
                utf8 = AFTER_BACKSLASH;
            }
            return self.replaceTop(new ObjectFrame(node, IN_KEY, seen, -1, child, utf8));
        }
        if (node.additional == null || b == '\\' || keyUtf8 == AFTER_BACKSLASH) {
            return null;
        }
        int utf8 = Utf8.next(keyUtf8, b);
        if (utf8 == Utf8.INVALID || b == '"') {
            return null;
        }
        ObjectFrame next = new ObjectFrame(node, IN_KEY, seen, -1, -1, utf8);
        return next.equals(this) ? self : self.replaceTop(next);
    }

    private State value(State self, int b) {
        SchemaNode schema = key >= 0 ? node.propertySchemas.get(key) : node.additional;
        long written = key >= 0 ? seen | 1L << key : seen;
        return Values.start(schema, self.replaceTop(new ObjectFrame(node, AFTER_VALUE, written, -1, 0, 0)), b);
    }

    @Override
    public String toString() {
        return "Object[" + node.path + " " + phase + " seen=" + Long.toBinaryString(seen) + "]";
    }
}
