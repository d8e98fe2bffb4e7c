package dev.tooltune.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.layers.ProjectionDelta;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The LoRA update of a batch whose rows may each use a different adapter (or none), computed without touching the
 * model's weights, as Punica and S-LoRA do: for each projection the rows' A and B are stacked (rank padded with zeros
 * to the largest rank in the batch, scaling folded into B), and one batched matmul gives every row its own update:
 *
 * <pre>
 *   x [B,T,in] x A_rows^T [B,in,r] -> [B,T,r] x B_rows^T [B,r,out] -> delta [B,T,out]
 * </pre>
 *
 * When every row uses the same adapter the stack is skipped and the adapter's own A and B serve the whole batch.
 * Rows without an adapter (or whose adapter does not target a projection) get zeros. The stacks are built on first
 * use per projection and kept until {@link #close()}, so a batch whose composition does not change between decode
 * steps reuses them. Not thread-safe: one forward pass at a time uses it.
 */
public final class AdapterBatch implements ProjectionDelta, AutoCloseable {

    private final List<LoraAdapter> rows;      // per row, null = base model
    private final NDManager manager;
    private final DataType type;
    private final boolean uniform;             // every row the same non-null adapter
    private final Map<String, NDArray[]> stacked = new HashMap<>();   // projection -> {A [B,r,in], B*s [B,out,r]}
    private final Map<String, NDArray[]> single = new HashMap<>();    // projection -> {A^T [in,r], (B*s)^T [r,out]}

    /**
     * @param rows    each row's adapter, null for none; the adapters must stay open while this batch is used
     * @param parent  where the stacks live (a sub-manager is made and closed with this batch)
     * @param type    the model's compute type
     */
    public AdapterBatch(List<LoraAdapter> rows, NDManager parent, DataType type) {
        this.rows = new ArrayList<>(rows);
        this.manager = parent.newSubManager();
        this.type = type;
        LoraAdapter first = rows.isEmpty() ? null : rows.get(0);
        boolean same = first != null;
        for (LoraAdapter row : rows) {
            same &= row == first;
        }
        this.uniform = same;
    }

    /** Whether any row has an adapter (otherwise the model runs without a delta). */
    public boolean hasAdapters() {
        return rows.stream().anyMatch(Objects::nonNull);
    }

    /** The distinct adapters of the batch. */
    public Set<LoraAdapter> adapters() {
        Set<LoraAdapter> out = new LinkedHashSet<>();
        rows.forEach(a -> {
            if (a != null) {
                out.add(a);
            }
        });
        return out;
    }

    @Override
    public NDArray delta(String projectionName, NDArray x) {
        if (uniform) {
            LoraLinear layer = rows.get(0).layers().get(projectionName);
            if (layer == null) {
                return null;
            }
            NDArray[] ab = single.computeIfAbsent(projectionName, name -> {
                float scaling = (float) rows.get(0).config().scaling();
                NDArray a = scoped(manager, layer.loraA().toType(type, true)).transpose();      // [in,r]
                NDArray b = scoped(manager, layer.loraB().toType(type, true)).mul(scaling).transpose(); // [r,out]
                return new NDArray[] {a, b};
            });
            return x.matMul(ab[0]).matMul(ab[1]);                                                // [B,T,out]
        }
        NDArray[] ab = stacked.computeIfAbsent(projectionName, this::stack);
        if (ab == null) {
            return null;
        }
        // x [B,T,in] @ [B,in,r] -> [B,T,r] @ [B,r,out] -> [B,T,out]
        return x.matMul(ab[0]).matMul(ab[1]);
    }

    /** {A^T [B,in,r], (s B)^T [B,r,out]} over the rows, or null when no row adapts this projection. */
    private NDArray[] stack(String projectionName) {
        int rank = 0;
        LoraLinear any = null;
        for (LoraAdapter row : rows) {
            LoraLinear layer = row == null ? null : row.layers().get(projectionName);
            if (layer != null) {
                rank = Math.max(rank, Math.toIntExact(layer.loraA().getShape().get(0)));
                any = layer;
            }
        }
        if (any == null) {
            return null;
        }
        long in = any.inFeatures();
        long out = any.outFeatures();
        NDList as = new NDList();
        NDList bs = new NDList();
        try (NDManager scratch = manager.newSubManager()) {
            for (LoraAdapter row : rows) {
                LoraLinear layer = row == null ? null : row.layers().get(projectionName);
                if (layer == null) {
                    as.add(scratch.zeros(new Shape(rank, in), type));
                    bs.add(scratch.zeros(new Shape(out, rank), type));
                    continue;
                }
                float scaling = (float) row.config().scaling();
                NDArray a = scoped(scratch, layer.loraA().toType(type, true));                    // [r_i,in]
                NDArray b = scoped(scratch, layer.loraB().toType(type, true)).mul(scaling);       // [out,r_i]
                long r = a.getShape().get(0);
                if (r < rank) {
                    a = NDArrays.concat(new NDList(a, scratch.zeros(new Shape(rank - r, in), type)), 0);
                    b = NDArrays.concat(new NDList(b, scratch.zeros(new Shape(out, rank - r), type)), 1);
                }
                as.add(a);
                bs.add(b);
            }
            NDArray a = NDArrays.stack(as).transpose(0, 2, 1);                                     // [B,in,r]
            NDArray b = NDArrays.stack(bs).transpose(0, 2, 1);                                     // [B,r,out]
            a = a.duplicate();
            b = b.duplicate();
            a.attach(manager);
            b.attach(manager);
            return new NDArray[] {a, b};
        }
    }

    private static NDArray scoped(NDManager scope, NDArray array) {
        array.attach(scope);
        return array;
    }

    @Override
    public void close() {
        manager.close();
    }
}
