package dev.tooltune.dataset.tenant;

import java.util.regex.Pattern;

/** Tenant ids as agreed between the services: 1-128 letters, digits, '.', '_' or '-'. */
public final class TenantIds {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private TenantIds() {}

    public static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
