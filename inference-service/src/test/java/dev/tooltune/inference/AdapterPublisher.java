package dev.tooltune.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tooltune.artifacts.ArtifactStore;
import dev.tooltune.artifacts.DirectoryArtifactStore;
import dev.tooltune.artifacts.Manifest;
import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.model.checkpoint.BaseModels;
import dev.tooltune.model.checkpoint.SafetensorsWriter;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.lora.PeftAdapterFiles;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes adapters the way trainer-service does: PEFT files into the artifact store, then the Adapter record on
 * the adapters topic; deletes with a tombstone and removes the artifact. The adapters are random LoRA weights for
 * the tiny random base model, with B not zero, so that different seeds give different greedy outputs.
 */
final class AdapterPublisher implements AutoCloseable {
    private final Gemma3Model model;
    private final BaseModels.Resolved base;
    private final ArtifactStore store;
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;

    AdapterPublisher() {
        this(TestBaseModel.ID);
    }

    /** For adapters of {@code baseModelId} (the service's base model). */
    AdapterPublisher(String baseModelId) {
        base = BaseModels.fromEnvironment().resolve(baseModelId, null);
        model = Gemma3Model.load(base.directory());
        store = new DirectoryArtifactStore(KafkaTopicResource.artifacts);
        topic = KafkaTopicResource.topic;
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTopicResource.bootstrap);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(properties);
    }

    String baseRevision() {
        return base.revision();
    }

    Adapter publish(String tenant, String name, int version, long seed) throws Exception {
        return publish(tenant, name, version, seed, new BaseModel(base.id(), base.revision()));
    }

    Adapter publish(String tenant, String name, int version, long seed, BaseModel baseModel) throws Exception {
        String adapterId = "ad-" + name + "-v" + version + "-" + Long.toHexString(seed) + "-" + System.nanoTime();
        Path directory = Files.createTempDirectory("adapter-" + adapterId);
        try (NDManager manager = model.manager().newSubManager();
             LoraAdapter adapter = LoraAdapter.create(manager, LoraConfig.of(4, 8, "q_proj", "v_proj", "o_proj"),
                     new ArrayList<>(model.projections().values()), seed)) {
            PeftAdapterFiles.save(adapter, directory, base.id());
            SplittableRandom random = new SplittableRandom(seed * 31 + 7);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> entry : adapter.peftTensors().entrySet()) {
                NDArray tensor = entry.getValue();
                if (entry.getKey().contains(".lora_B.")) {
                    float[] values = new float[(int) tensor.size()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) (random.nextDouble() * 2 - 1) * 0.5f;
                    }
                    tensor = manager.create(values, tensor.getShape());
                }
                tensors.put(entry.getKey(), tensor);
            }
            SafetensorsWriter.write(directory.resolve(PeftAdapterFiles.WEIGHTS_FILE), tensors);
        }
        Path weights = directory.resolve(PeftAdapterFiles.WEIGHTS_FILE);
        URI uri = store.publish("adapters/" + tenant + "/" + adapterId, directory, Map.of("tenantId", tenant));
        Adapter record = new Adapter(adapterId, name, version, tenant, "job-" + adapterId, baseModel,
                TrainingMethod.LORA, uri.toString(), Manifest.sha256(weights), Files.size(weights), Map.of(),
                Instant.now());
        producer.send(new ProducerRecord<>(topic, adapterId, MessageCodec.ADAPTERS.encode(record))).get();
        return record;
    }

    /** The gateway's delete: a tombstone on the topic, then the artifact goes. */
    void delete(Adapter adapter) throws Exception {
        producer.send(new ProducerRecord<>(topic, adapter.adapterId(), null)).get();
        store.delete("adapters/" + adapter.tenantId() + "/" + adapter.adapterId());
    }

    @Override
    public void close() {
        producer.close();
        model.close();
    }
}
