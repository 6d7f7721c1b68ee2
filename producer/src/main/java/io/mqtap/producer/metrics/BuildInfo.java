package io.mqtap.producer.metrics;

import io.mqtap.producer.MqTapApplication;

/** The running mqtap's version, from the jar manifest ("dev" when run from classes). */
public final class BuildInfo {
    private BuildInfo() {}

    public static String version() {
        String v = MqTapApplication.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
