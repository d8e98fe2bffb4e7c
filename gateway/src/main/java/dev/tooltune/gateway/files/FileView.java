package dev.tooltune.gateway.files;

import com.fasterxml.jackson.annotation.JsonInclude;

/** OpenAI's file object. */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record FileView(String id, String object, long bytes, long created_at, String filename, String purpose,
                       String status, String status_details, Long expires_at, Integer tooltune_examples) {

    public static FileView of(FileRecord file) {
        return new FileView(file.id, "file", file.bytes, file.createdAt.getEpochSecond(), file.filename,
                file.purpose, "processed", null, null, file.examples);
    }
}
