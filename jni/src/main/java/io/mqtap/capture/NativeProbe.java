package io.mqtap.capture;

import java.nio.ByteBuffer;

/** The JNI entry points of libmqtap.so. Calls return 0, a count, or -errno; none throws. */
final class NativeProbe {
    private NativeProbe() {}

    static {
        NativeLibrary.load();
    }

    static native long create(int transport, int perCpuPages, int ringBufferBytes, int wakeupBytes,
                              int drainIntervalMillis, int stagingEvents, int selfTgid, long[] includeUids, long[] excludeUids,
                              byte[] includeComms, byte[] excludeComms, long[] includeCgroups,
                              long[] excludeCgroups, byte[] namePrefix, int injectEntryDrop, int injectEntrySkip,
                              int injectExitSkip, int injectOpenExitSkip, int injectTaskExitSkip, int injectCallSkip, int skipFields, int queueLife, int accessMode, int accessMaxKeys, int accessMaxContexts);

    static native int load(long handle, int set);

    /** Replaces the filters of a loaded probe in place (mqtap_probe_set_filters). */
    static native int setFilters(long handle, long[] includeUids, long[] excludeUids, byte[] includeComms, byte[] excludeComms,
                                 long[] includeCgroups, long[] excludeCgroups, byte[] namePrefix);

    /** Loads after this leave out these {@link ProbeFeature} bits even where the kernel has them. */
    static native void withoutFeatures(long handle, int features);

    /** Instances of each kretprobe the kprobe set makes through tracefs (1..4096); before load. */
    static native void setKretprobeInstances(long handle, int instances);

    /** The {@link ProbeFeature} bits the loaded program uses; 0 when nothing is loaded. */
    static native int features(long handle);

    /** The pinned ring: consumed only on commit (true) or after each drain (false, the default). */
    static native void setManualCommit(long handle, boolean on);

    /** Where the last drain of the pinned ring stopped; -1 unpinned. */
    static native long readPosition(long handle);

    static native void commit(long handle, long position);

    static native void resume(long handle, long position);

    /** The pinned ring map's id (-1 unpinned): positions are comparable only within one ring. */
    static native long ringId(long handle);

    /** capture.pinPath before load (mqtap_probe_set_pin_path); null: off. */
    static native int setPinPath(long handle, String dir);

    /** The pin state after attach; out gets {generation, previous generation, discarded events}. */
    static native int pinState(long handle, long[] out);

    static native String pinWhy(long handle);

    /** true: detach and free leave the pinned programs running for the next run. */
    static native void keepPins(long handle, boolean keep);

    static native int attach(long handle);

    static native void detach(long handle);

    /** Fills at most maxEvents records from offset 0; maxEvents must fit in the buffer's capacity. */
    static native int drain(long handle, ByteBuffer direct, int maxEvents, int timeoutMillis);

    static native void stop(long handle);

    /** A new aggregation window; returns once no program writes the old one. 0 or -errno. */
    static native int accessFlip(long handle);

    /** Moves up to max entries of the old window ({@link AccessEntry#SIZE} bytes each) into the buffer; count or -errno. */
    static native int accessTake(long handle, ByteBuffer direct, int max);

    /** Moves up to max caller snapshots of the old window ({@link RawEvent#SIZE} each) into the buffer; count or -errno. */
    static native int accessContexts(long handle, ByteBuffer direct, int max);

    /** The old window's overflow: per call (send, receive) calls, bytes, errors, unlinked; then zeroed. 0 or -errno. */
    static native int accessOverflow(long handle, long[] out);

    static native int counters(long handle, long[] out);

    /** {runs, ns} per program role (enter, exit, openExit, taskExit, create), while run-time stats are on. */
    static native int progStats(long handle, long[] out);

    /** Turns the kernel's BPF run-time statistics on until {@link #closeFd} of the result; -errno on failure. */
    static native int enableStats();

    static native void closeFd(int fd);

    /** Before load: the budget the load uses; after: replaced in the running programs. */
    static native int setFairness(long handle, long rate, long burst, boolean byCgroup);

    /** FairAccount.SLOTS longs per uid into out; the number of uids, or -errno. */
    static native int fairAccounts(long handle, long[] out);

    static native void free(long handle);

    static native String error(long handle);

    static native String log(long handle);

    static native String errnoName(int errno);

    static native String strerror(int errno);

    /** clock_gettime(CLOCK_BOOTTIME) in nanoseconds, or -errno. */
    static native long bootTimeNanos();

    /** The C offsets behind {@link AccessEntry} and the event's union members (see AccessEntryTest for the order). */
    static native int[] accessLayout();

    /** {size, 0, then offset/size pairs in RawEvent.FIELDS order} of the C struct. */
    static native int[] layout();
}
