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

    @Override
    public int shortestFinish() {
        return switch (phase) {
            case OPEN -> missingRequired(seen) == 0 ? 1 : withoutFirstComma(afterValue(seen));
            case AFTER_COMMA, AFTER_COMMA_SPACE -> missingRequired(seen) != 0 ? withoutFirstComma(afterValue(seen)) : oneMoreKey();
            case IN_KEY -> restOfKey();
            case AFTER_KEY -> Shortest.sum(1, valueAndRest());
            case AFTER_COLON, AFTER_COLON_SPACE -> valueAndRest();
            case AFTER_VALUE -> afterValue(seen);
            default -> throw new IllegalStateException("phase " + phase);
        };
    }

    private static int withoutFirstComma(int length) {
        return length >= Shortest.UNREACHABLE ? length : length - 1;
    }

    private long missingRequired(long written) {
        return node.required & ~written;
    }

    /** {@code "key":value} of declared property {@code i}. */
    private int entry(int i) {
        return Shortest.sum(node.propertyKeys.entryLength(i) + 3, Shortest.value(node.propertySchemas.get(i), SchemaNode.ANY_TYPE));
    }

    /** From after a value: {@code ,"key":value} for each missing required property, then the closing brace. */
    private int afterValue(long written) {
        int total = 1;
        long missing = missingRequired(written);
        for (int i = 0; i < node.propertySchemas.size(); i++) {
            if ((missing & (1L << i)) != 0) {
                total = Shortest.sum(total, Shortest.sum(1, entry(i)));
            }
        }
        return total;
    }

    /** After a comma with nothing required left: the cheapest property that may still be added, and the brace. */
    private int oneMoreKey() {
        int best = Shortest.UNREACHABLE;
        long addable = node.addable(seen);
        for (int i = 0; i < node.propertySchemas.size(); i++) {
            if ((addable & (1L << i)) != 0) {
                best = Math.min(best, Shortest.sum(entry(i), 1));
            }
        }
        if (node.additional != null) {
            int emptyName = node.propertyKeys.terminal(0) >= 0 ? 1 : 0; // "" would be that declared property
            best = Math.min(best, Shortest.sum(3 + emptyName + 1, Shortest.value(node.additional, SchemaNode.ANY_TYPE)));
        }
        return best;
    }

    /** Inside a key: finish a declared name that may still be written, or (where allowed) an additional one. */
    private int restOfKey() {
        int best = Shortest.UNREACHABLE;
        if (keyNode >= 0) {
            long addable = node.addable(seen);
            for (int i = 0; i < node.propertySchemas.size(); i++) {
                int remaining = (addable & (1L << i)) != 0 ? node.propertyKeys.remaining(i, keyNode) : -1;
                if (remaining >= 0) {
                    int value = Shortest.value(node.propertySchemas.get(i), SchemaNode.ANY_TYPE);
                    best = Math.min(best, Shortest.sum(remaining + 2, Shortest.sum(value, afterValue(seen | 1L << i))));
                }
            }
        }
        if (node.additional != null && keyUtf8 != AFTER_BACKSLASH) {
            int pending = keyUtf8 == 0 ? 0 : keyUtf8 >>> 16;
            // A spelling that is a declared name needs one more character to become an additional key.
            int declared = keyNode >= 0 && keyUtf8 == 0 && node.propertyKeys.terminal(keyNode) >= 0 ? 1 : 0;
            int value = Shortest.value(node.additional, SchemaNode.ANY_TYPE);
            best = Math.min(best, Shortest.sum(pending + declared + 2, Shortest.sum(value, afterValue(seen))));
        }
        return best;
    }

    /** The value of the key just written (from its first byte), and what the object needs after it. */
    private int valueAndRest() {
        SchemaNode schema = key >= 0 ? node.propertySchemas.get(key) : node.additional;
        long written = key >= 0 ? seen | 1L << key : seen;
        return Shortest.sum(Shortest.value(schema, SchemaNode.ANY_TYPE), afterValue(written));
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
