package dev.tooltune.model.serving;

import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.KvCache;
import dev.tooltune.model.gemma3.NativeServingStep;
import dev.tooltune.model.lora.LoraAdapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running rows that decode on the device, when the native library is loaded: each holds a slot of the native
 * step's KV cache (the lowest free one, so the rows of a step stay packed at the front) and, when it has an
 * adapter, that adapter's block in the step's LoRA stacks (blocks are shared by rows of the same adapter and reused
 * once no row needs them). One {@link #step} decodes them all; only token ids come back.
 *
 * <p>Slots hold {@link #capacity()} tokens each and there are as many as the engine runs rows; a request longer
 * than a slot stays on the DJL path. Used by the serving scheduler's thread only.
 */
final class DeviceBatch implements AutoCloseable {

    /** One row of a step: its slot, the token it feeds at {@code position}, and how its next token is picked. */
    record Row(int slot, int token, int position, Sampling sampling, long[] allowedWords, float draw) {}

    /** KV slots are made in multiples of 16 tokens (aligned rows for the fused attention kernels). */
    private static final int ALIGN = 16;

    private final NativeServingStep step;
    private final int vocab;
    private final boolean[] used;
    private final int[] slotBlock;                                          // slot -> adapter block, 0 = none
    private final Map<LoraAdapter, Integer> blocks = new IdentityHashMap<>();  // adapter -> block (1-based)
    private final List<LoraAdapter> blockAdapters = new ArrayList<>();      // block - 1 -> adapter, null = free
    private final List<Integer> blockUsers = new ArrayList<>();

    private DeviceBatch(NativeServingStep step, int vocab) {
        this.step = step;
        this.vocab = vocab;
        this.used = new boolean[step.slots()];
        this.slotBlock = new int[step.slots()];
    }

    /**
     * A device batch for {@code model}, or null when the native step cannot run it (no native library: CI and the
     * CPU default; NF4 or attached adapters; attention soft-cap) or when turned off ({@code tooltune.native.serving}
     * / {@code TOOLTUNE_NATIVE_SERVING} = 0: the DJL path, for comparisons). Slots:
     * {@code maxRunningSequences} rounded up to a batch bucket; capacity: the longest sequence, as far as the
     * KV budget allows all slots.
     */
    static DeviceBatch create(Gemma3Model model, ServingConfig config, int maxSequenceLength) {
        String setting = System.getProperty("tooltune.native.serving", System.getenv("TOOLTUNE_NATIVE_SERVING"));
        if ("0".equals(setting) || !NativeServingStep.supports(model)) {
            return null;
        }
        int slots = bucket(config.maxRunningSequences());
        int capacity = (maxSequenceLength + ALIGN - 1) / ALIGN * ALIGN;
        while (capacity > ALIGN && slots * NativeServingStep.bytesPerSlot(model, capacity) > config.kvCacheBytes()) {
            capacity -= ALIGN;
        }
        return new DeviceBatch(NativeServingStep.create(model, slots, capacity), model.config().vocabSize());
    }

    /** 1, 2, 4, ..., 128, then multiples of 128: the batch sizes CUDA graphs are captured for. */
    static int bucket(int rows) {
        if (rows > 128) {
            return (rows + 127) / 128 * 128;
        }
        int b = 1;
        while (b < rows) {
            b *= 2;
        }
        return b;
    }

    int capacity() {
        return step.capacity();
    }

    /** Whether a sequence that may grow to {@code tokens} tokens fits a slot, and a slot is free. */
    boolean accepts(int tokens) {
        if (tokens > step.capacity()) {
            return false;
        }
        for (boolean u : used) {
            if (!u) {
                return true;
            }
        }
        return false;
    }

    /** Takes the lowest free slot for a prefilled prompt decoding with {@code adapter} (null = none); returns it. */
    int admit(KvCache prefilled, LoraAdapter adapter) {
        int slot = 0;
        while (used[slot]) {
            slot++;
        }
        step.load(slot, prefilled);
        slotBlock[slot] = adapter == null ? 0 : acquireBlock(adapter);
        used[slot] = true;
        return slot;
    }

    void release(int slot) {
        if (!used[slot]) {
            return;
        }
        used[slot] = false;
        int block = slotBlock[slot];
        slotBlock[slot] = 0;
        if (block > 0) {
            blockUsers.set(block - 1, blockUsers.get(block - 1) - 1);
        }
    }

    /** The next token of every row (in the order given). */
    long[] step(List<Row> rows) {
        int width = 0;
        for (Row row : rows) {
            width = Math.max(width, row.slot() + 1);
        }
        long[] ids = new long[width];
        long[] positions = new long[width];
        long[] adapters = new long[width];
        int highestBlock = 0;
        List<Row> special = new ArrayList<>();
        for (Row row : rows) {
            ids[row.slot()] = row.token();
            positions[row.slot()] = row.position();
            adapters[row.slot()] = slotBlock[row.slot()];
            highestBlock = Math.max(highestBlock, slotBlock[row.slot()]);
            if (row.allowedWords() != null || !row.sampling().isGreedy()) {
                special.add(row);
            }
        }
        int n = special.size();
        int wordsPerRow = (vocab + 63) >>> 6;
        long[] slotsOf = new long[n];
        long[] words = new long[n * wordsPerRow];
        float[] temperature = new float[n];
        int[] topK = new int[n];
        float[] topP = new float[n];
        float[] draws = new float[n];
        for (int i = 0; i < n; i++) {
            Row row = special.get(i);
            slotsOf[i] = row.slot();
            if (row.allowedWords() != null) {
                System.arraycopy(row.allowedWords(), 0, words, i * wordsPerRow, wordsPerRow);
            } else {
                Arrays.fill(words, i * wordsPerRow, (i + 1) * wordsPerRow, -1L);
            }
            Sampling sampling = row.sampling();
            temperature[i] = sampling.isGreedy() ? 0f : (float) sampling.temperature();
            topK[i] = sampling.topK();
            topP[i] = (float) sampling.topP();
            draws[i] = row.draw();
        }
        long[] all = step.step(width, ids, positions, adapters, highestBlock, slotsOf, words, temperature, topK, topP, draws);
        long[] out = new long[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all[rows.get(i).slot()];
        }
        return out;
    }

    /** The block holding {@code adapter}, loading it into a free block (the lowest) when no row uses it yet. */
    private int acquireBlock(LoraAdapter adapter) {
        Integer block = blocks.get(adapter);
        if (block == null) {
            int free = blockUsers.indexOf(0);
            if (free < 0) {
                blockAdapters.add(null);
                blockUsers.add(0);
                free = blockUsers.size() - 1;
            }
            LoraAdapter previous = blockAdapters.get(free);
            if (previous != null) {
                blocks.remove(previous);
            }
            block = free + 1;
            step.adapter(block, adapter);
            blocks.put(adapter, block);
            blockAdapters.set(free, adapter);
        }
        blockUsers.set(block - 1, blockUsers.get(block - 1) + 1);
        return block;
    }

    @Override
    public void close() {
        step.close();
    }
}
