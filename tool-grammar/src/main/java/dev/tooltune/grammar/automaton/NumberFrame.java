package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaCompiler.NumberBounds;
import dev.tooltune.grammar.schema.SchemaNode;
import java.math.BigDecimal;

/**
 * A JSON number, {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}. An integer has no fraction and no exponent.
 * With {@code minimum}/{@code maximum}, each digit is allowed only while some completion of the number lies within
 * the bounds (exponents are then not offered), so a bound is never found broken at the end. The number ends on the
 * first byte that cannot continue it, which its parent reads.
 *
 * @param text the characters so far, kept only when there are bounds (otherwise "", so that states repeat)
 */
public record NumberFrame(SchemaNode node, boolean integer, int phase, String text) implements Frame {
    private static final int START = 0;
    private static final int MINUS = 1;
    private static final int ZERO = 2;
    private static final int DIGITS = 3;
    private static final int POINT = 4;
    private static final int FRACTION = 5;
    private static final int EXP = 6;
    private static final int EXP_SIGN = 7;
    private static final int EXP_DIGITS = 8;

    static NumberFrame open(SchemaNode node, boolean integer) {
        return new NumberFrame(node, integer, START, "");
    }

    private boolean bounded() {
        return node.hasNumberBounds();
    }

    private boolean accepting() {
        return phase == ZERO || phase == DIGITS || phase == FRACTION || phase == EXP_DIGITS;
    }

    @Override
    public State feed(State self, int b) {
        boolean digit = b >= '0' && b <= '9';
        int next = -1;
        switch (phase) {
            case START -> next = b == '-' ? MINUS : b == '0' ? ZERO : digit ? DIGITS : -1;
            case MINUS -> next = b == '0' ? ZERO : digit ? DIGITS : -1;
            case ZERO, DIGITS -> {
                if (digit) {
                    next = phase == DIGITS ? DIGITS : -2;
                } else if (b == '.' && !integer) {
                    next = POINT;
                } else if ((b == 'e' || b == 'E') && !integer && !bounded()) {
                    next = EXP;
                }
            }
            case POINT -> next = digit ? FRACTION : -2;
            case FRACTION -> next = digit ? FRACTION : (b == 'e' || b == 'E') && !bounded() ? EXP : -1;
            case EXP -> next = b == '+' || b == '-' ? EXP_SIGN : digit ? EXP_DIGITS : -2;
            case EXP_SIGN -> next = digit ? EXP_DIGITS : -2;
            case EXP_DIGITS -> next = digit ? EXP_DIGITS : -1;
            default -> throw new IllegalStateException("phase " + phase);
        }
        if (next == -2) {
            return null;
        }
        if (next == -1) {
            return accepting() && finalValueAllowed() ? self.refeedBelow(b) : null;
        }
        if (!bounded()) {
            return next == phase ? self : self.replaceTop(new NumberFrame(node, integer, next, ""));
        }
        String extended = text + (char) b;
        return reachable(extended, next) ? self.replaceTop(new NumberFrame(node, integer, next, extended)) : null;
    }

    /** Nothing where the number may end; else one byte (a digit), or for bounded numbers a search over digits. */
    @Override
    public int shortestFinish() {
        if (accepting() && finalValueAllowed()) {
            return 0;
        }
        if (!bounded()) {
            return 1;
        }
        return SEARCHED.computeIfAbsent(this, NumberFrame::searchFinish);
    }

    private static final int SEARCH_LIMIT = 4096;
    private static final java.util.Map<NumberFrame, Integer> SEARCHED = new java.util.concurrent.ConcurrentHashMap<>() {
        @Override
        public Integer computeIfAbsent(NumberFrame key, java.util.function.Function<? super NumberFrame, ? extends Integer> f) {
            if (size() > 10_000) {
                clear();
            }
            return super.computeIfAbsent(key, f);
        }
    };

    /** Breadth-first over the bytes a bounded number can continue with, to the nearest value within the bounds. */
    private static int searchFinish(NumberFrame start) {
        byte[] alphabet = "0123456789.-".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.util.List<NumberFrame> level = java.util.List.of(start);
        java.util.Set<NumberFrame> seen = new java.util.HashSet<>(level);
        for (int depth = 1; !level.isEmpty() && seen.size() < SEARCH_LIMIT; depth++) {
            java.util.List<NumberFrame> next = new java.util.ArrayList<>();
            for (NumberFrame frame : level) {
                for (byte b : alphabet) {
                    State after = frame.feed(LocalBottom.STATE.push(frame), b);
                    if (after == null || !(after.top() instanceof NumberFrame number) || !seen.add(number)) {
                        continue;
                    }
                    if (number.accepting() && number.finalValueAllowed()) {
                        return depth;
                    }
                    next.add(number);
                }
            }
            level = next;
        }
        return Shortest.UNREACHABLE;
    }

    @Override
    public boolean canEnd(State self) {
        return accepting() && finalValueAllowed() && self.canEndBelow();
    }

    private boolean finalValueAllowed() {
        if (!bounded()) {
            return true;
        }
        BigDecimal value = new BigDecimal(text);
        return intersects(value, true, value, true);
    }

    /** Whether some number starting with {@code prefix} (in {@code phase}) lies within the bounds. */
    private boolean reachable(String prefix, int phase) {
        boolean negative = prefix.startsWith("-");
        String body = negative ? prefix.substring(1) : prefix;
        if (phase == MINUS) {
            return intersects(null, false, BigDecimal.ZERO, true);
        }
        if (phase == ZERO || phase == DIGITS) {
            BigDecimal p = new BigDecimal(body);
            int widths = phase == ZERO ? 1 : 64;
            BigDecimal scale = BigDecimal.ONE;
            for (int j = 0; j < widths; j++) {
                BigDecimal low = p.multiply(scale);
                BigDecimal high = p.add(BigDecimal.ONE).multiply(scale);
                if (interval(low, high, negative)) {
                    return true;
                }
                if (!negative && node.maximum != null && low.compareTo(node.maximum) > 0
                        || negative && node.minimum != null && low.negate().compareTo(node.minimum) < 0) {
                    return false;
                }
                scale = scale.multiply(BigDecimal.TEN);
            }
            return false;
        }
        // POINT or FRACTION: the value so far and the width of what more digits can add
        int point = body.indexOf('.');
        int fractionDigits = body.length() - point - 1;
        BigDecimal low = new BigDecimal(phase == POINT ? body.substring(0, point) : body);
        BigDecimal high = low.add(BigDecimal.ONE.movePointLeft(fractionDigits));
        return interval(low, high, negative);
    }

    /** Whether [low, high) (integers: [low, high - 1]), negated when {@code negative}, meets the bounds. */
    private boolean interval(BigDecimal low, BigDecimal high, boolean negative) {
        if (integer) {
            BigDecimal last = high.subtract(BigDecimal.ONE);
            return negative ? intersects(last.negate(), true, low.negate(), true) : intersects(low, true, last, true);
        }
        return negative ? intersects(high.negate(), false, low.negate(), true) : intersects(low, true, high, false);
    }

    /** Whether the interval from {@code a} to {@code b} (null = unbounded) meets the schema's bounds. */
    private boolean intersects(BigDecimal a, boolean aClosed, BigDecimal b, boolean bClosed) {
        BigDecimal min = integer ? NumberBounds.integerLow(node) : node.minimum;
        boolean minClosed = integer || !node.minimumExclusive;
        BigDecimal max = integer ? NumberBounds.integerHigh(node) : node.maximum;
        boolean maxClosed = integer || !node.maximumExclusive;
        BigDecimal low = a;
        boolean lowClosed = aClosed;
        if (min != null) {
            int order = low == null ? 1 : min.compareTo(low);
            if (order > 0) {
                low = min;
                lowClosed = minClosed;
            } else if (order == 0) {
                lowClosed &= minClosed;
            }
        }
        BigDecimal high = b;
        boolean highClosed = bClosed;
        if (max != null) {
            int order = high == null ? -1 : max.compareTo(high);
            if (order < 0) {
                high = max;
                highClosed = maxClosed;
            } else if (order == 0) {
                highClosed &= maxClosed;
            }
        }
        if (low == null || high == null) {
            return true;
        }
        int order = low.compareTo(high);
        return order < 0 || order == 0 && lowClosed && highClosed;
    }

    @Override
    public String toString() {
        return "Number[" + phase + " " + text + "]";
    }
}
