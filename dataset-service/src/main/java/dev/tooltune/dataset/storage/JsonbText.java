package dev.tooltune.dataset.storage;

/**
 * Makes JSON text safe for a PostgreSQL {@code jsonb} column, which refuses the escape {@code \u0000} (text
 * cannot hold NUL). Every JSON document this service writes to {@code jsonb} goes through {@link #safe}, so text
 * taken from an upload (a tool name, a problem quoting the input) can never fail a write: NUL becomes U+FFFD.
 */
public final class JsonbText {
    private JsonbText() {}

    /** {@code json} (valid JSON text, or null) with every {@code \u0000} escape replaced by {@code \ufffd}. */
    public static String safe(String json) {
        if (json == null || !json.contains("\\u0000")) {
            return json;
        }
        StringBuilder out = new StringBuilder(json.length());
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '\\' && i + 1 < json.length()) {
                if (json.startsWith("u0000", i + 1)) {
                    out.append("\\ufffd");
                    i += 5;
                } else {
                    out.append(c).append(json.charAt(i + 1));
                    i++;
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
