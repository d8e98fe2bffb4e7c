package dev.tooltune.trainer.data;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * dataset-service's export API for a job: a frozen version (or one part of its deterministic split) streamed to a
 * local JSONL file. Any answer but 200 is the job's data at fault ({@link DatasetException}); a service that cannot be
 * reached (after {@link DatasetServiceApi}'s retries) is an {@link IOException}, which lets the job be tried again.
 */
@ApplicationScoped
public class DatasetClient {

    /** The dataset or version does not exist, is not frozen, or the request was refused: the job's data is at fault. */
    public static final class DatasetException extends Exception {
        public DatasetException(String message) {
            super(message);
        }
    }

    private final DatasetServiceApi api;

    DatasetClient(@RestClient DatasetServiceApi api) {
        this.api = api;
    }

    /** Checks that the version exists and is frozen. */
    public void requireFrozen(String tenantId, String datasetId, int version) throws DatasetException, IOException {
        DatasetServiceApi.VersionState state = call(datasetId, version, () -> api.version(tenantId, datasetId, version));
        if (!state.frozen()) {
            throw new DatasetException("dataset " + datasetId + " version " + version
                    + " is not frozen: freeze it (POST /datasets/" + datasetId + "/versions/" + version + "/freeze) and submit again");
        }
    }

    /**
     * Streams the export to {@code target}.
     *
     * @param split null for the whole version, else "train" or "eval" of the split by (seed, evalRatio)
     */
    public Path export(String tenantId, String datasetId, int version, String split, long seed, double evalRatio, Path target)
            throws DatasetException, IOException {
        File downloaded = call(datasetId, version, () -> split == null
                ? api.export(tenantId, datasetId, version, null, null, null)
                : api.export(tenantId, datasetId, version, split, seed, evalRatio));
        Files.createDirectories(target.getParent());
        Files.move(downloaded.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    private interface Call<T> {
        T run();
    }

    private static <T> T call(String datasetId, int version, Call<T> call) throws DatasetException, IOException {
        try {
            return call.run();
        } catch (WebApplicationException e) {
            String body = e.getResponse().hasEntity() ? e.getResponse().readEntity(String.class) : "";
            throw new DatasetException("dataset-service answered " + e.getResponse().getStatus() + " for dataset "
                    + datasetId + " version " + version + ": " + (body.length() > 300 ? body.substring(0, 300) + "..." : body));
        } catch (ProcessingException e) {
            throw new IOException("dataset-service could not be reached for dataset " + datasetId + " version "
                    + version + ": " + e.getMessage(), e);
        }
    }
}
