package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaCompiler.NumberBounds;
import dev.tooltune.grammar.schema.SchemaNode;
import java.math.BigDecimal;

/**
 * A JSON number, {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,2})?}. An integer has no fraction and no exponent.
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
    private static final int EXP_DIGITS_2 = 9;

    static NumberFrame open(SchemaNode node, boolean integer) {
        return new NumberFrame(node, integer, START, "");
    }

    private boolean bounded() {
        return node.hasNumberBounds();
    }

    private boolean accepting() {
        return phase == ZERO || phase == DIGITS || phase == FRACTION || phase >= EXP_DIGITS;
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
            // At most two exponent digits: with three, 9446.9e991 overflows a double (clients read it as Infinity
            // or fail), and tool arguments never need more than e99.
            case EXP_DIGITS -> next = digit ? EXP_DIGITS_2 : -1;
            case EXP_DIGITS_2 -> next = digit ? -2 : -1;
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

    /**
     * Nothing where the number may end; else one byte (a digit) when it is unbounded; else the fewest digits (and
     * point) that bring it within its bounds: for k more integer digits (and then f fraction digits), whether some
     * value of that shape lies in range, shortest first.
     */
    @Override
    public int shortestFinish() {
        if (accepting() && finalValueAllowed()) {
            return 0;
        }
        if (!bounded()) {
            return 1;
        }
        boolean negative = text.startsWith("-");
        String body = negative ? text.substring(1) : text;
        int best = Shortest.UNREACHABLE;
        if (phase == POINT || phase == FRACTION) {
            int point = body.indexOf('.');
            int written = body.length() - point - 1;
            BigDecimal value = new BigDecimal(phase == POINT ? body.substring(0, point) : body);
            for (int more = phase == POINT ? 1 : 0; more <= MAX_DIGITS; more++) {
                if (gridMeetsBounds(value, value.add(BigDecimal.ONE.movePointLeft(written)), written + more, negative)) {
                    return more;
                }
            }
            return best;
        }
        // MINUS, ZERO or DIGITS: the integer part so far is p (0 after a lone minus sign)
        BigDecimal p = phase == MINUS ? BigDecimal.ZERO : new BigDecimal(body);
        int fewestDigits = phase == MINUS ? 1 : 0;
        int mostDigits = phase == ZERO ? 0 : MAX_DIGITS;
        for (int k = fewestDigits; k <= mostDigits && k < best; k++) {
            // the magnitudes reachable with k more integer digits (after a lone minus: no leading zero past one digit)
            BigDecimal low = phase == MINUS ? (k == 1 ? BigDecimal.ZERO : BigDecimal.TEN.pow(k - 1)) : p.multiply(BigDecimal.TEN.pow(k));
            BigDecimal high = phase == MINUS ? BigDecimal.TEN.pow(k) : p.add(BigDecimal.ONE).multiply(BigDecimal.TEN.pow(k));
            if (gridMeetsBounds(low, high, 0, negative)) {
                best = Math.min(best, k);
                break;
            }
            if (!integer) {
                for (int f = 1; k + 1 + f < best && f <= MAX_DIGITS; f++) {
                    if (gridMeetsBounds(low, high, f, negative)) {
                        best = k + 1 + f;
                    }
                }
            }
        }
        return best;
    }

    private static final int MAX_DIGITS = 40;

    /**
     * Whether some multiple of 10^-{@code places} in [{@code low}, {@code high}) (a magnitude; negated when
     * {@code negative}) lies within the bounds.
     */
    private boolean gridMeetsBounds(BigDecimal low, BigDecimal high, int places, boolean negative) {
        BigDecimal step = BigDecimal.ONE.movePointLeft(places);
        // the magnitudes the bounds allow: [lo, hi] with exclusivity
        BigDecimal lo = negative ? negate(node.maximum) : node.minimum;
        boolean loOpen = negative ? node.maximumExclusive : node.minimumExclusive;
        BigDecimal hi = negative ? negate(node.minimum) : node.maximum;
        boolean hiOpen = negative ? node.minimumExclusive : node.maximumExclusive;
        if (integer) {
            // integer bounds, closed
            BigDecimal il = negative ? negate(NumberBounds.integerHigh(node)) : NumberBounds.integerLow(node);
            BigDecimal ih = negative ? negate(NumberBounds.integerLow(node)) : NumberBounds.integerHigh(node);
            lo = il;
            hi = ih;
            loOpen = false;
            hiOpen = false;
        }
        BigDecimal from = low;
        boolean fromOpen = false;
        if (lo != null && lo.compareTo(from) >= 0) {
            fromOpen = loOpen;
            from = lo;
        }
        BigDecimal candidate = from.divide(step).setScale(0, java.math.RoundingMode.CEILING).multiply(step);
        if (fromOpen && candidate.compareTo(from) == 0) {
            candidate = candidate.add(step);
        }
        if (candidate.compareTo(high) >= 0) {
            return false;
        }
        if (hi == null) {
            return true;
        }
        int order = candidate.compareTo(hi);
        return order < 0 || order == 0 && !hiOpen;
    }

    private static BigDecimal negate(BigDecimal value) {
        return value == null ? null : value.negate();
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
