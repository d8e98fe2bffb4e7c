package dev.tooltune.grammar.schema;

import dev.tooltune.grammar.automaton.ByteTrie;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * One JSON Schema compiled into what the automaton enforces while a value is written. Fields are filled by
 * {@link SchemaCompiler} and not changed afterwards. Compared by identity (a {@code $ref} cycle is a cycle of nodes).
 */
public final class SchemaNode {
    public static final int OBJECT = 1;
    public static final int ARRAY = 2;
    public static final int STRING = 4;
    public static final int NUMBER = 8;
    public static final int INTEGER = 16;
    public static final int BOOLEAN = 32;
    public static final int NULL = 64;
    public static final int ANY_TYPE = 127;

    /** The length of what cannot be written (an unsatisfiable schema); sums saturate at it. */
    public static final int UNREACHABLE = 1 << 28;

    /** Any JSON value (an absent or {@code true} schema). */
    public static final SchemaNode ANY = any();

    /** Where in the schema this node comes from (a JSON pointer), for messages. */
    public final String path;
    /** Allowed JSON types, a mask of the constants above; 0 = nothing (the {@code false} schema). */
    public int types;
    /** {@code enum}/{@code const}: the allowed values, written canonically; null = not restricted. */
    public ByteTrie literals;
    /** {@code anyOf}/{@code oneOf}: the alternatives, the first whose opening byte fits is followed; null = none. */
    public List<SchemaNode> alternatives;

    // object
    public List<String> propertyNames = new ArrayList<>();
    public List<SchemaNode> propertySchemas = new ArrayList<>();
    /** Property names as written between the quotes of a key (canonical JSON string content). */
    public ByteTrie propertyKeys;
    /** Bit i: property i is required. */
    public long required;
    /** Schema of other keys, or null when {@code additionalProperties: false}. */
    public SchemaNode additional = ANY;

    // array
    public SchemaNode items = ANY;
    public int minItems;
    public int maxItems = -1;

    // string
    public int minLength;
    public int maxLength = -1;

    /** {@code pattern} (or a {@code format} written as one) enforced while generating; null = none. */
    public dev.tooltune.grammar.regex.PatternMachine pattern;

    // number: null bound = unbounded
    public BigDecimal minimum;
    public boolean minimumExclusive;
    public BigDecimal maximum;
    public boolean maximumExclusive;

    /** Bytes of the shortest value this node allows (set once by {@code Shortest.prepare}). */
    public int shortest = UNREACHABLE;
    /** Bytes of the shortest object this node allows (a tool's arguments). */
    public int shortestObject = UNREACHABLE;

    public SchemaNode(String path) {
        this.path = path;
    }

    private static SchemaNode any() {
        SchemaNode node = new SchemaNode("(any)");
        node.types = ANY_TYPE;
        node.additional = node;
        node.items = node;
        node.propertyKeys = new ByteTrie(List.of());
        node.shortest = 1; // 0
        node.shortestObject = 2; // {}
        return node;
    }

    public boolean allows(int type) {
        return (types & type) != 0;
    }

    public boolean hasNumberBounds() {
        return minimum != null || maximum != null;
    }

    /** The declared properties that may still be written after those in {@code seen}. */
    public long addable(long seen) {
        long result = 0;
        for (int i = 0; i < propertySchemas.size(); i++) {
            if ((seen & (1L << i)) == 0 && propertySchemas.get(i).types != 0) {
                result |= 1L << i;
            }
        }
        return result;
    }

    /** Whether some property can still be added after the properties in {@code seen}. */
    public boolean canAddProperty(long seen) {
        if (additional != null) {
            return true;
        }
        for (int i = 0; i < propertySchemas.size(); i++) {
            if ((seen & (1L << i)) == 0 && propertySchemas.get(i).types != 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "schema " + path;
    }
}
