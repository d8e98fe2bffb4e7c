package dev.tooltune.grammar.regex;

import dev.tooltune.grammar.regex.Regex.Chars;
import dev.tooltune.grammar.regex.Regex.Choice;
import dev.tooltune.grammar.regex.Regex.Repeat;
import dev.tooltune.grammar.regex.Regex.Sequence;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A regular expression as an automaton over the code points of a JSON string's content: a Thompson NFA, determinised
 * lazily (a DFA state is the set of NFA states a prefix can be in, made when first reached). Only characters a JSON
 * string holds without an escape are allowed ({@link CodePointSet#WRITABLE}). Each DFA state knows the fewest UTF-8
 * bytes that reach a match, so the grammar's token budget covers patterns too, and states that cannot reach a match
 * are never entered (no dead ends). Compiled once per pattern (bounded cache); thread-safe.
 */
public final class PatternMachine {
    public static final int DEAD = -1;
    private static final int UNREACHABLE = Integer.MAX_VALUE;
    private static final int MAX_NFA_STATES = 50_000;
    private static final Map<String, PatternMachine> COMPILED = new ConcurrentHashMap<>();

    // NFA: per state, character transitions (set -> target) and epsilon moves; one accepting state.
    private final List<CodePointSet> edgeSets = new ArrayList<>();
    private final List<int[]> edgeEnds = new ArrayList<>(); // {from, to}
    private final List<List<Integer>> epsilons = new ArrayList<>();
    private final List<List<Integer>> edgesFrom = new ArrayList<>();
    private int accept;
    private int[] distance; // fewest bytes from each NFA state to the accepting one

    // DFA, built on demand
    private final Map<IntSet, Integer> dfaIds = new HashMap<>();
    private final List<int[]> dfaStates = new ArrayList<>();
    private final List<int[]> asciiNext = new ArrayList<>();
    private final List<Map<Integer, Integer>> otherNext = new ArrayList<>();
    private final List<Integer> dfaDistance = new ArrayList<>();
    private final int start;
    private final String source;

    private PatternMachine(String source, Regex regex) {
        this.source = source;
        int begin = newState();
        accept = build(regex, begin);
        distance = distances();
        start = dfaState(closure(new int[] {begin}));
        if (start == DEAD) {
            throw new UnsupportedPatternException(source, 0, "no string matches it");
        }
    }

    /** The machine of a JSON Schema {@code pattern} (cached). */
    public static PatternMachine ofPattern(String pattern) {
        PatternMachine machine = COMPILED.get(pattern);
        if (machine == null) {
            machine = new PatternMachine(pattern, Regex.ofPattern(pattern));
            if (COMPILED.size() > 256) {
                COMPILED.clear();
            }
            COMPILED.put(pattern, machine);
        }
        return machine;
    }

    public int start() {
        return start;
    }

    /** The state after {@code codePoint}, or {@link #DEAD} when no match can follow it. */
    public synchronized int step(int state, int codePoint) {
        if (codePoint < 128) {
            int[] table = asciiNext.get(state);
            if (table[codePoint] == -2) {
                table[codePoint] = move(state, codePoint);
            }
            return table[codePoint];
        }
        return otherNext.get(state).computeIfAbsent(codePoint, cp -> move(state, cp));
    }

    /**
     * The states reached from the start by printable ASCII characters, breadth first, at most {@code limit}: the
     * states whose masks a grammar computes when it is compiled rather than on the serving thread.
     */
    public synchronized List<Integer> asciiStates(int limit) {
        List<Integer> order = new ArrayList<>(List.of(start));
        java.util.Set<Integer> seen = new java.util.HashSet<>(order);
        for (int i = 0; i < order.size() && order.size() < limit; i++) {
            for (int c = 0x20; c < 0x7F && order.size() < limit; c++) {
                int next = step(order.get(i), c);
                if (next != DEAD && seen.add(next)) {
                    order.add(next);
                }
            }
        }
        return order;
    }

    public synchronized boolean accepting(int state) {
        return dfaDistance.get(state) == 0;
    }

    /** The fewest UTF-8 bytes that bring {@code state} to a match (0 when it matches now). */
    public synchronized int shortest(int state) {
        return dfaDistance.get(state);
    }

    /**
     * The fewest bytes to a match after one character from {@code [lo, hi]} (not counting that character), or -1
     * when no such character can lead to a match: what a partly written multi-byte character still allows.
     */
    public synchronized int shortestAfterOneOf(int state, int lo, int hi) {
        int best = -1;
        for (int nfa : dfaStates.get(state)) {
            for (int edge : edgesFrom.get(nfa)) {
                int to = edgeEnds.get(edge)[1];
                if (distance[to] != UNREACHABLE && edgeSets.get(edge).intersects(lo, hi)) {
                    best = best < 0 ? distance[to] : Math.min(best, distance[to]);
                }
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "pattern " + source;
    }

    // ---- construction: Thompson NFA ----

    private int newState() {
        if (epsilons.size() >= MAX_NFA_STATES) {
            throw new UnsupportedPatternException(source, 0, "too large for an automaton");
        }
        epsilons.add(new ArrayList<>());
        edgesFrom.add(new ArrayList<>());
        return epsilons.size() - 1;
    }

    /** Adds the states of {@code regex} after {@code from}; returns the state where it ends. */
    private int build(Regex regex, int from) {
        if (regex instanceof Chars chars) {
            int to = newState();
            edgesFrom.get(from).add(edgeSets.size());
            edgeSets.add(chars.set().intersect(CodePointSet.WRITABLE));
            edgeEnds.add(new int[] {from, to});
            return to;
        }
        if (regex instanceof Sequence sequence) {
            int at = from;
            for (Regex part : sequence.parts()) {
                at = build(part, at);
            }
            return at;
        }
        if (regex instanceof Choice choice) {
            int to = newState();
            for (Regex option : choice.options()) {
                int begin = newState();
                epsilons.get(from).add(begin);
                epsilons.get(build(option, begin)).add(to);
            }
            return to;
        }
        Repeat repeat = (Repeat) regex;
        int at = from;
        for (int i = 0; i < repeat.min(); i++) {
            at = build(repeat.body(), at);
        }
        if (repeat.max() < 0) {
            int loop = newState();
            epsilons.get(at).add(loop);
            epsilons.get(build(repeat.body(), loop)).add(loop);
            return loop;
        }
        int to = newState();
        epsilons.get(at).add(to);
        for (int i = repeat.min(); i < repeat.max(); i++) {
            at = build(repeat.body(), at);
            epsilons.get(at).add(to);
        }
        return to;
    }

    /** Dijkstra backwards from the accepting state; a character costs the UTF-8 length of its cheapest choice. */
    private int[] distances() {
        int n = epsilons.size();
        List<List<int[]>> incoming = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            incoming.add(new ArrayList<>());
        }
        for (int s = 0; s < n; s++) {
            for (int t : epsilons.get(s)) {
                incoming.get(t).add(new int[] {s, 0});
            }
        }
        for (int e = 0; e < edgeSets.size(); e++) {
            CodePointSet set = edgeSets.get(e);
            if (!set.isEmpty()) {
                incoming.get(edgeEnds.get(e)[1]).add(new int[] {edgeEnds.get(e)[0], utf8Length(set.first())});
            }
        }
        int[] dist = new int[n];
        Arrays.fill(dist, UNREACHABLE);
        dist[accept] = 0;
        PriorityQueue<int[]> queue = new PriorityQueue<>((a, b) -> Integer.compare(a[1], b[1]));
        queue.add(new int[] {accept, 0});
        while (!queue.isEmpty()) {
            int[] top = queue.poll();
            if (top[1] > dist[top[0]]) {
                continue;
            }
            for (int[] in : incoming.get(top[0])) {
                int d = top[1] + in[1];
                if (d < dist[in[0]]) {
                    dist[in[0]] = d;
                    queue.add(new int[] {in[0], d});
                }
            }
        }
        return dist;
    }

    static int utf8Length(int codePoint) {
        return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    }

    // ---- determinisation on demand ----

    private int move(int state, int codePoint) {
        List<Integer> targets = new ArrayList<>();
        for (int nfa : dfaStates.get(state)) {
            for (int edge : edgesFrom.get(nfa)) {
                int to = edgeEnds.get(edge)[1];
                if (distance[to] != UNREACHABLE && edgeSets.get(edge).contains(codePoint)) {
                    targets.add(to);
                }
            }
        }
        return targets.isEmpty() ? DEAD : dfaState(closure(targets.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** The live NFA states reachable by epsilon moves, sorted. */
    private int[] closure(int[] seeds) {
        boolean[] seen = new boolean[epsilons.size()];
        ArrayDeque<Integer> pending = new ArrayDeque<>();
        for (int s : seeds) {
            if (!seen[s]) {
                seen[s] = true;
                pending.push(s);
            }
        }
        List<Integer> live = new ArrayList<>();
        while (!pending.isEmpty()) {
            int s = pending.pop();
            if (distance[s] != UNREACHABLE) {
                live.add(s);
            }
            for (int t : epsilons.get(s)) {
                if (!seen[t]) {
                    seen[t] = true;
                    pending.push(t);
                }
            }
        }
        return live.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    private int dfaState(int[] nfaStates) {
        if (nfaStates.length == 0) {
            return DEAD;
        }
        IntSet key = new IntSet(nfaStates);
        Integer id = dfaIds.get(key);
        if (id != null) {
            return id;
        }
        int best = UNREACHABLE;
        for (int s : nfaStates) {
            best = Math.min(best, distance[s]);
        }
        id = dfaStates.size();
        dfaStates.add(nfaStates);
        int[] table = new int[128];
        Arrays.fill(table, -2);
        asciiNext.add(table);
        otherNext.add(new HashMap<>());
        dfaDistance.add(best);
        dfaIds.put(key, id);
        return id;
    }

    private record IntSet(int[] values) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IntSet other && Arrays.equals(values, other.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }
    }
}
