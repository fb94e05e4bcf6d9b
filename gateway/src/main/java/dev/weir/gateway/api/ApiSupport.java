package dev.weir.gateway.api;

import org.apache.kafka.common.protocol.ApiKeys;

/** An API key and the version range a handler serves. */
public record ApiSupport(ApiKeys key, short minVersion, short maxVersion) {

    public static ApiSupport of(ApiKeys key, int min, int max) {
        if (min < key.oldestVersion() || max > key.latestVersion(true)) {
            throw new IllegalArgumentException(key + " " + min + "-" + max + " is outside what kafka-clients knows");
        }
        return new ApiSupport(key, (short) min, (short) max);
    }

    public boolean supports(short version) {
        return version >= minVersion && version <= maxVersion;
    }
}
