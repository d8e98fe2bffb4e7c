package dev.tooltune.grammar;

import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.grammar.automaton.Frame;
import dev.tooltune.grammar.automaton.LocalBottom;
import dev.tooltune.grammar.automaton.State;
import dev.tooltune.grammar.vocabulary.GrammarVocabulary;
import dev.tooltune.grammar.vocabulary.TokenTrie;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Where the slow mask calls of {@link GrammarBenchmark}'s workload come from: each allowedTokens call is classified by
 * the top frame of its state and by what it had to compute (a new shared local mask, new token rises, a new memoised
 * state mask, or nothing new), with wall and thread CPU time, and the trie nodes a new local mask walk visits.
 * Same arguments as GrammarBenchmark.
 */
public final class GrammarProfile {
    public static void main(String[] args) throws Exception {
        int generations = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        GemmaTokenizer tokenizer = GemmaTokenizer.loadDefault();
        GrammarVocabulary vocabulary = GrammarVocabulary.of(tokenizer);
        ConstrainedDecoding decoding = new ConstrainedDecoding(vocabulary, ConstrainedDecoding.Options.DEFAULTS);
        long p0 = System.nanoTime();
        decoding.prepareSharedMasks();
        System.out.printf("shared masks prepared: %d local masks in %.0f ms%n%n", vocabulary.sharedLocalMasks().size(),
                (System.nanoTime() - p0) / 1e6);
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        var stateField = GrammarConstraint.class.getDeclaredField("state");
        stateField.setAccessible(true);
        Random random = new Random(seed);
        Map<String, long[]> byCategory = new TreeMap<>(); // calls, wall ns, cpu ns, over 500us, trie nodes
        List<long[]> all = new ArrayList<>();
        for (Map.Entry<String, List<ToolDefinition>> set : SampleTools.TOOL_SETS.entrySet()) {
            for (ToolChoice choice : List.of(ToolChoice.AUTO, ToolChoice.REQUIRED)) {
                Grammar grammar = decoding.toolGrammar(set.getValue(), choice, true);
                for (int g = 0; g < generations; g++) {
                    TokenConstraint constraint = grammar.newConstraint();
                    long[] mask = new long[vocabulary.trie().maskWords()];
                    for (int step = 0; step < 256 && !constraint.isDone(); step++) {
                        State state = (State) stateField.get(constraint);
                        int locals = vocabulary.sharedLocalMasks().size();
                        int rises = vocabulary.sharedLocalRises().size();
                        int memo = grammar.masks().memoSize();
                        long c0 = bean.getCurrentThreadCpuTime();
                        long m0 = System.nanoTime();
                        constraint.allowedTokens(mask, 256 - step);
                        long wall = System.nanoTime() - m0;
                        long cpu = bean.getCurrentThreadCpuTime() - c0;
                        String top = state.top().getClass().getSimpleName();
                        String what;
                        long nodes = 0;
                        if (vocabulary.sharedLocalMasks().size() > locals) {
                            what = "new shared local mask";
                            nodes = visited(vocabulary.trie(), 0, LocalBottom.STATE.push(state.top().localKey()));
                        } else if (vocabulary.sharedLocalRises().size() > rises) {
                            what = "new shared rises";
                        } else if (grammar.masks().memoSize() > memo) {
                            what = "new state mask (exit walk)";
                        } else {
                            what = "cached";
                        }
                        long[] row = byCategory.computeIfAbsent(top + " / " + what, k -> new long[6]);
                        row[0]++;
                        row[1] += wall;
                        row[2] += cpu;
                        row[3] += wall > 500_000 ? 1 : 0;
                        row[4] += nodes;
                        row[5] = Math.max(row[5], wall);
                        all.add(new long[] {wall, cpu});
                        if (constraint.canStop() && random.nextInt(4) == 0) {
                            break;
                        }
                        constraint.accept(GrammarBenchmark.pick(mask, random, tokenizer));
                    }
                }
            }
        }
        System.out.println("| top frame / what the call computed | calls | calls > 500 us | wall ms total | cpu ms total"
                + " | max wall ms | trie nodes a walk of the new local masks visits |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Map.Entry<String, long[]> e : byCategory.entrySet()) {
            long[] r = e.getValue();
            System.out.printf("| %s | %d | %d | %.1f | %.1f | %.1f | %d |%n", e.getKey(), r[0], r[3], r[1] / 1e6, r[2] / 1e6,
                    r[5] / 1e6, r[4]);
        }
        long[] walls = all.stream().mapToLong(r -> r[0]).sorted().toArray();
        long[] cpus = all.stream().mapToLong(r -> r[1]).sorted().toArray();
        System.out.printf("%ncalls %d; wall p50 %.1f us p99 %.1f us max %.0f us; cpu p50 %.1f us p99 %.1f us max %.0f us%n",
                walls.length, walls[walls.length / 2] / 1e3, walls[(int) (walls.length * 0.99)] / 1e3,
                walls[walls.length - 1] / 1e3, cpus[cpus.length / 2] / 1e3, cpus[(int) (cpus.length * 0.99)] / 1e3,
                cpus[cpus.length - 1] / 1e3);
    }

    /** Trie nodes a local walk of the frame on top of {@code state} visits (those whose byte it accepts). */
    private static long visited(TokenTrie trie, int node, State state) {
        long count = 0;
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.top().feed(state, trie.byteOf(child));
            if (next == null) {
                continue;
            }
            count++;
            if (next != State.REFEED && next != LocalBottom.STATE) {
                count += visited(trie, child, next);
            }
        }
        return count;
    }
}
