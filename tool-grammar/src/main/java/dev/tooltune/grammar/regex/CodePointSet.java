package dev.tooltune.grammar.regex;

import java.util.Arrays;

/**
 * A set of Unicode code points as sorted, disjoint, non-adjacent ranges {@code [lo0, hi0, lo1, hi1, ...]}
 * (inclusive). Immutable.
 */
public final class CodePointSet {
    public static final int MAX = 0x10FFFF;
    public static final CodePointSet EMPTY = new CodePointSet(new int[0]);
    public static final CodePointSet ALL = of(0, MAX);
    /** What a JSON string can hold without an escape: no control characters, no {@code "} or {@code \}, no surrogates. */
    public static final CodePointSet WRITABLE = ALL.minus(of(0, 0x1F)).minus(of('"', '"')).minus(of('\\', '\\'))
            .minus(of(0xD800, 0xDFFF));

    private final int[] ranges;

    private CodePointSet(int[] ranges) {
        this.ranges = ranges;
    }

    public static CodePointSet of(int lo, int hi) {
        return lo > hi ? EMPTY : new CodePointSet(new int[] {lo, hi});
    }

    public static CodePointSet single(int codePoint) {
        return of(codePoint, codePoint);
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    /** The smallest code point, or -1 when empty. */
    public int first() {
        return ranges.length == 0 ? -1 : ranges[0];
    }

    public boolean contains(int codePoint) {
        int i = Arrays.binarySearch(ranges, codePoint);
        return i >= 0 || (-i - 1) % 2 == 1;
    }

    /** Whether some code point in {@code [lo, hi]} belongs to the set. */
    public boolean intersects(int lo, int hi) {
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] <= hi && ranges[i + 1] >= lo) {
                return true;
            }
        }
        return false;
    }

    public CodePointSet union(CodePointSet other) {
        int[] all = new int[ranges.length + other.ranges.length];
        System.arraycopy(ranges, 0, all, 0, ranges.length);
        System.arraycopy(other.ranges, 0, all, ranges.length, other.ranges.length);
        return normalized(all);
    }

    public CodePointSet complement() {
        int[] out = new int[ranges.length + 2];
        int n = 0;
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) {
                out[n++] = next;
                out[n++] = ranges[i] - 1;
            }
            next = ranges[i + 1] + 1;
        }
        if (next <= MAX) {
            out[n++] = next;
            out[n++] = MAX;
        }
        return new CodePointSet(Arrays.copyOf(out, n));
    }

    public CodePointSet minus(CodePointSet other) {
        return complement().union(other).complement();
    }

    public CodePointSet intersect(CodePointSet other) {
        return complement().union(other.complement()).complement();
    }

    private static CodePointSet normalized(int[] pairs) {
        int count = pairs.length / 2;
        long[] packed = new long[count];
        for (int i = 0; i < count; i++) {
            packed[i] = (long) pairs[2 * i] << 32 | pairs[2 * i + 1];
        }
        Arrays.sort(packed);
        int[] out = new int[pairs.length];
        int n = 0;
        for (long p : packed) {
            int lo = (int) (p >>> 32);
            int hi = (int) p;
            if (n > 0 && lo <= out[n - 1] + 1) {
                out[n - 1] = Math.max(out[n - 1], hi);
            } else {
                out[n++] = lo;
                out[n++] = hi;
            }
        }
        return new CodePointSet(Arrays.copyOf(out, n));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CodePointSet other && Arrays.equals(ranges, other.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ranges.length; i += 2) {
            sb.append(String.format("%X-%X ", ranges[i], ranges[i + 1]));
        }
        return sb.append(']').toString();
    }
}
