package dev.tooltune.model.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.layers.Linear;
import java.nio.ByteBuffer;

/**
 * A frozen linear projection whose weight lives on the device as NF4 (QLoRA's base layers). Each forward
 * call dequantises the weight into the input's dtype and multiplies; nothing of it requires a gradient, so
 * autograd reaches the input x (and any LoRA adapter around this layer) but never the weight.
 *
 * <p>Device storage per weight of n values: n/2 bytes of codes, n/64 bytes of absmax codes, n/16384 fp32
 * scales, one fp32 offset: about 4.13 bits a value instead of 32.
 */
public final class Nf4Linear implements Linear {

    private final NDManager manager;
    private final long outFeatures;
    private final long inFeatures;
    private final NDArray packedCodes;   // uint8 [ceil(n/2)]
    private final NDArray absmaxCodes;   // uint8 [blocks]
    private final NDArray absmaxScales;  // fp32 [ceil(blocks/256)]
    private final float absmaxOffset;
    private final NDArray nibblePairs;   // fp32 [256, 2]: byte -> (code of high nibble, code of low nibble)
    private final NDArray dynamicCode;   // fp32 [256]

    public Nf4Linear(NDManager parent, Nf4Weight weight) {
        this(parent.newSubManager(), null, weight.packedCodes(), weight.absmaxCodes(), weight.absmaxScales(),
                weight.absmaxOffset(), weight.rows(), weight.columns());
    }

    /** packedOnDevice (uint8, already on the device) or packedOnHost: exactly one is given; the manager becomes this layer's. */
    private Nf4Linear(NDManager manager, NDArray packedOnDevice, byte[] packedOnHost, byte[] absmaxCodes,
            float[] absmaxScales, float absmaxOffset, long rows, long columns) {
        this.manager = manager;
        this.outFeatures = rows;
        this.inFeatures = columns;
        if (packedOnDevice != null) {
            packedOnDevice.attach(manager);
            this.packedCodes = packedOnDevice;
        } else {
            this.packedCodes = unsignedBytes(manager, packedOnHost);
        }
        this.absmaxCodes = unsignedBytes(manager, absmaxCodes);
        this.absmaxScales = manager.create(absmaxScales);
        this.absmaxOffset = absmaxOffset;
        float[] pairs = new float[512];
        for (int b = 0; b < 256; b++) {
            pairs[2 * b] = Nf4.CODE[b >>> 4];
            pairs[2 * b + 1] = Nf4.CODE[b & 0x0F];
        }
        this.nibblePairs = manager.create(pairs, new Shape(256, 2));
        this.dynamicCode = manager.create(DynamicCode.CODE);
    }

    private static NDArray unsignedBytes(NDManager manager, byte[] bytes) {
        return manager.create(ByteBuffer.wrap(bytes), new Shape(bytes.length), DataType.UINT8);
    }

    /** Quantises a dense [out, in] weight (any float dtype) into a new NF4 layer on the weight's device. */
    public static Nf4Linear quantize(NDArray weight) {
        return quantize(weight.getManager(), weight);
    }

    /** Quantises a dense [out, in] weight into a new NF4 layer owned by {@code parent}. */
    public static Nf4Linear quantize(NDManager parent, NDArray weight) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("expected a [out, in] weight, got " + shape);
        }
        if (Kernels.available()) {
            // on the weight's device, bit for bit as the host code: only the absmax values (1/64 of the weight)
            // come to the host for the second level (the host path reads all 4 bytes of every value)
            try (NDManager scratch = weight.getManager().newSubManager()) {
                NDArray code = scratch.create(Nf4.CODE);
                NDArray[] first = Kernels.nf4Quantize(weight, code);
                first[0].attach(scratch);
                first[1].attach(scratch);
                Nf4Weight.AbsmaxCodes second = Nf4Weight.AbsmaxCodes.of(first[1].toFloatArray());
                return new Nf4Linear(parent.newSubManager(), first[0], null, second.codes(), second.scales(),
                        second.offset(), shape.get(0), shape.get(1));
            }
        }
        float[] values = weight.toType(DataType.FLOAT32, false).toFloatArray();
        return new Nf4Linear(parent, Nf4Weight.quantize(values, shape.get(0), shape.get(1)));
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        if (Kernels.available()) {
            // dequantised just in time, forward and backward, in bf16 under autocast: no dense copy is kept
            return Kernels.nf4Linear(x, packedCodes, absmaxCodes, absmaxScales, absmaxOffset, nibblePairs, dynamicCode,
                    outFeatures, inFeatures);
        }
        // x [..., in] -> [..., out]. Pure DJL: autograd keeps the dequantised weight until backward (the native
        // path above does not); fine for CPU tests, not for a large model
        // Closing the Java handle of the weight drops only this reference; before, it stayed attached to the layer's
        // manager after every call, one dense copy per forward, until the model closed.
        try (NDScope scope = new NDScope(); NDArray weight = dequantize(x.getDataType())) {   // [out, in]
            NDArray y = x.matMul(weight.transpose());
            NDScope.unregister(y);
            return y;
        }
    }

    /** The weight as a dense [out, in] array of {@code dtype}, owned by this layer's manager (caller closes). */
    public NDArray dequantize(DataType dtype) {
        if (Kernels.available() && dtype == DataType.FLOAT32) {
            NDArray weight = Kernels.nf4Dequantize(packedCodes, absmaxCodes, absmaxScales, absmaxOffset, nibblePairs,
                    dynamicCode, outFeatures, inFeatures);
            weight.attach(manager);
            return weight;
        }
        long n = outFeatures * inFeatures;
        long padded = (long) Nf4.blockCount(n) * Nf4.BLOCK_SIZE;
        try (NDScope scope = new NDScope()) {
            NDArray absmax = absmax();                                              // [blocks]
            NDArray values = nibblePairs.get(packedCodes.toType(DataType.INT32, false)).reshape(-1); // [2 ceil(n/2)]
            if (values.size() < padded) {
                values = values.concat(manager.zeros(new Shape(padded - values.size())));
            } else if (values.size() > padded) {
                values = values.get("0:" + padded);
            }
            NDArray scaled = values.reshape(-1, Nf4.BLOCK_SIZE).mul(absmax.reshape(-1, 1)).reshape(-1); // [padded]
            NDArray weight = (padded == n ? scaled : scaled.get("0:" + n)).reshape(outFeatures, inFeatures);
            if (weight.getDataType() != dtype) {
                weight = weight.toType(dtype, false);
            }
            NDScope.unregister(weight);
            return weight;
        }
    }

    /** The first-level absmax per 64-block: dynamic code value * second-level scale + offset. */
    private NDArray absmax() {
        long blocks = absmaxCodes.size();
        long secondBlocks = absmaxScales.size();
        NDArray normalised = dynamicCode.get(absmaxCodes.toType(DataType.INT32, false));   // [blocks]
        long padded = secondBlocks * DynamicCode.BLOCK_SIZE;
        if (padded > blocks) {
            normalised = normalised.concat(manager.zeros(new Shape(padded - blocks)));
        }
        return normalised.reshape(secondBlocks, DynamicCode.BLOCK_SIZE)
                .mul(absmaxScales.reshape(-1, 1))
                .reshape(-1)
                .get("0:" + blocks)
                .add(absmaxOffset);
    }

    /** Bytes this layer keeps on the device for its weight (the code-book tables excluded: they are shared in spirit, 3 KiB). */
    public long storageBytes() {
        return packedCodes.getShape().size() * packedCodes.getDataType().getNumOfBytes()
                + absmaxCodes.getShape().size() * absmaxCodes.getDataType().getNumOfBytes()
                + absmaxScales.getShape().size() * absmaxScales.getDataType().getNumOfBytes()
                + 4;
    }

    @Override
    public long inFeatures() {
        return inFeatures;
    }

    @Override
    public long outFeatures() {
        return outFeatures;
    }

    @Override
    public void close() {
        manager.close();
    }
}
