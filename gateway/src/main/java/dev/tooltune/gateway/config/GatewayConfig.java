package dev.tooltune.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Every {@code tooltune.gateway.*} setting (documented in gateway/README.md). The shared {@code tooltune.internal-token}
 * is read on its own ({@link dev.tooltune.gateway.upstream.Upstream}): a mapping of all of {@code tooltune.*} would
 * refuse the other modules' settings that share the prefix.
 */
@ConfigMapping(prefix = "tooltune.gateway")
public interface GatewayConfig {

    TopicNames topics();

    Kafka kafka();

    Upstream datasetService();

    Upstream inferenceService();

    /** Base models that jobs may fine-tune and chats may name; visible to every tenant. */
    List<String> baseModels();

    RateLimit rateLimit();

    Limits limits();

    JobDefaults jobDefaults();

    Outbox outbox();

    Events events();

    Jobs jobs();

    interface Upstream {
        URI url();
    }

    interface RateLimit {
        /** Requests a key may make at once (the bucket's size). */
        int burst();

        /** Requests per second the bucket refills. */
        double perSecond();
    }

    interface Limits {
        long maxJsonBytes();

        long maxFileBytes();
    }

    /** What OpenAI calls "auto": the values filled into a job that does not set them. */
    interface JobDefaults {
        String method();

        int epochs();

        int batchSize();

        double learningRate();

        /** Base learning rate of method full (learning_rate_multiplier scales it). */
        double fullLearningRate();

        int gradientAccumulationSteps();

        int maxLength();

        int loraRank();

        double loraAlpha();

        double loraDropout();

        List<String> loraTargetModules();
    }

    interface Outbox {
        @WithDefault("true")
        boolean enabled();

        Duration pollInterval();

        int batchSize();
    }

    interface Events {
        Duration pollInterval();
    }

    interface Jobs {
        /** A job no trainer has reported on for this long is queued again, or failed (JobWatchdog). */
        @WithDefault("PT15M")
        Duration heartbeatTimeout();

        @WithDefault("2")
        int maxRequeues();

        /** How often the watchdog looks. */
        @WithDefault("PT30S")
        Duration watchdogInterval();
    }

    interface TopicNames {
        String trainingJobs();

        String trainingCancels();

        String trainingEvents();

        String adapters();
    }

    interface Kafka {
        String bootstrapServers();

        String eventsGroup();
    }
}
