package dev.tooltune.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.function.Function;

/** OpenAI's list object: {@code {"object":"list","data":[...],"has_more":...,"first_id","last_id"}}. */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ListPage<T>(String object, List<T> data, boolean has_more, String first_id, String last_id) {

    /** {@code rows} were fetched with one more than {@code limit}, which says whether there is more. */
    public static <T> ListPage<T> of(List<T> rows, int limit, Function<T, String> id) {
        boolean more = rows.size() > limit;
        List<T> page = more ? rows.subList(0, limit) : rows;
        return new ListPage<>("list", page, more, page.isEmpty() ? null : id.apply(page.get(0)),
                page.isEmpty() ? null : id.apply(page.get(page.size() - 1)));
    }

    public static int limit(Integer requested, int max) {
        if (requested == null) {
            return Math.min(20, max);
        }
        if (requested < 1 || requested > max) {
            throw OpenAiException.invalidRequest("limit", "invalid_value", "limit must be between 1 and " + max
                    + " (was " + requested + ")");
        }
        return requested;
    }
}
