package dev.tooltune.dataset.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** {@code tooltune.dataset.*}; each value can be set by environment, e.g. TOOLTUNE_DATASET_LIMITS_MAX_LINE_BYTES. */
@ConfigMapping(prefix = "tooltune.dataset")
public interface DatasetConfig {

    Limits limits();

    @WithName("import")
    Importing importing();

    Tokens tokens();

    interface Tokens {
        /** Count the Gemma 3 tokens of a new version's examples in the background right after its import. */
        @WithDefault("true")
        boolean countAfterImport();
    }

    interface Limits {
        /** Longest accepted JSONL line (one example), in bytes. */
        @WithDefault("1048576")
        int maxLineBytes();

        @WithDefault("512")
        int maxMessages();

        @WithDefault("128")
        int maxTools();

        @WithDefault("32")
        int maxCallsPerMessage();

        /** Longest {@code arguments} string of one tool call, in bytes. */
        @WithDefault("65536")
        int maxArgumentsBytes();

        /** Largest metadata of one example (its top-level keys other than the chat fields), in bytes of JSON. */
        @WithDefault("65536")
        int maxMetadataBytes();
    }

    interface Importing {
        /**
         * How long a replica's claim on its queued and running imports lasts without renewal (renewed every
         * {@link #leaseRenewal()}). When a replica stops, its imports are marked failed by another replica once this
         * has passed.
         */
        @WithDefault("PT30S")
        java.time.Duration lease();

        /**
         * How often a replica renews its claim and looks for imports of stopped replicas (ImportLeases, a
         * {@code @Scheduled} job reading {@code tooltune.dataset.import.lease-renewal}); at most half the lease.
         */
        @WithDefault("PT10S")
        java.time.Duration leaseRenewal();

        /** Import jobs that run at the same time; more wait in the queue. */
        @WithDefault("2")
        int workers();

        /** Problems kept in an import job's report (all are counted). */
        @WithDefault("1000")
        int maxReportedProblems();

        /** Threads that parse and validate lines for all imports; default: one per core. */
        java.util.OptionalInt preparers();

        /** Examples written to PostgreSQL per JDBC batch. */
        @WithDefault("1000")
        int batchSize();
    }
}
