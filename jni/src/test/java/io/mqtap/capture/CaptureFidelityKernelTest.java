package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.HelperCall;
import io.mqtap.testkit.mqgen.LifeCall;
import io.mqtap.testkit.mqgen.MqLifeHelper;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.mqgen.MqOpenHelper.HelperRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the record says against what the kernel did, on the real kernel: the queue's name and inode
 * from the returned descriptor (checked with the caller's own fstat), opens through the mqueue
 * filesystem, IPC namespaces, the mode the umask left, creation, and who the caller really was.
 * The hook set is AUTO unless {@code -Dmqtap.test.attachMode} names one (the host here runs the tracepoints; the
 * kernel matrix runs the class in each hook set that attaches there with {@code --all} or {@code --kernel}, in AUTO's
 * set in its ci set, and with {@code MQTAP_FIDELITY_SETS=fast} also every test but the name races, tagged
 * {@code race}, in each other set);
 * {@code -Dmqtap.test.withoutFeatures=TASK_STORAGE,TASK_BTF} makes the program take 5.10's fallback paths.
 * The race tests make {@code -Dmqtap.test.raceCalls} calls (default 100,000; fewer in emulated VMs).
 */
@Tag("kernel")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureFidelityKernelTest {
    private static final int EFAULT = 14, ENOENT = 2, EEXIST = 17;
    private static final String RENAMED = "mqtap-renamed";
    private static final int RACE_CALLS = Integer.getInteger("mqtap.test.raceCalls", 100_000);
    private static final Set<ProbeFeature> WITHOUT = java.util.Arrays.stream(
            System.getProperty("mqtap.test.withoutFeatures", "").split(",")).filter(f -> !f.isBlank())
            .map(f -> ProbeFeature.valueOf(f.trim())).collect(java.util.stream.Collectors.toSet());

    private MqOpenProbe probe;
    private AttachMode mode;
    private Path tmp;
    private final List<Path> mounted = new ArrayList<>();

    @BeforeAll
    void attach() throws Exception {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
        AttachMode wanted = AttachMode.parse(System.getProperty("mqtap.test.attachMode", "auto"));
        // only the helper's calls (under either comm it uses): other processes stay out of the comparisons
        probe = open(ProbeOptions.builder().perCpuPages(256).attachMode(wanted)
                .includeComms(Set.of(MqGen.HELPER, RENAMED)).build());
        mode = probe.attach(wanted).attached();
        // the kernel matrix's ci set reads this line, so as not to run the class twice in the set auto picked
        System.out.println("mqtap-test: capture fidelity tests in the " + mode.label() + " set");
        tmp = Files.createTempDirectory("mqtap-fidelity");
    }

    private static MqOpenProbe open(ProbeOptions options) throws ProbeException {
        return MqOpenProbe.open(options, WITHOUT);
    }

    @AfterAll
    void close() throws Exception {
        if (probe != null) probe.close();
        for (Path m : mounted) run("umount", m.toString());
        if (tmp != null) run("rm", "-rf", tmp.toString());
    }

    static String unique(String what) {
        return "mqtap-f-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }

    /** A directory with an mqueue filesystem mounted on it (mounted here, unmounted after the class). */
    private Path mqueueMount(Path dir) throws Exception {
        Files.createDirectories(dir);
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f[1].equals(dir.toString()) && f[2].equals("mqueue")) return dir;
        }
        run("mount", "-t", "mqueue", "mqueue", dir.toString());
        mounted.add(0, dir);
        return dir;
    }

    record Pair(HelperCall call, MqOpenEvent event) {}

    /** Runs the helper; pairs each of its calls (and its children's) with its event, in time order. */
    private List<Pair> runAndCapture(String... steps) throws Exception {
        Captured.drainAll(probe, e -> false);
        HelperRun run = MqOpenHelper.run(steps);
        long pid = run.pid();
        List<MqOpenEvent> events = Captured.collect(probe, e -> e.pid() == pid || e.ppid() == pid,
                run.calls().size(), 5_000);
        assertThat(events).as("one event per call of the helper; calls: " + run.calls()).hasSize(run.calls().size());
        return IntStream.range(0, events.size()).mapToObj(i -> new Pair(run.calls().get(i), events.get(i))).toList();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The queue fields against the caller's own fstat() of the descriptor it got. */
    private static void assertQueueIsTheOneOpened(Pair p) {
        MqOpenEvent e = p.event();
        assertThat(e.returnValue()).as("return value of " + p.call()).isEqualTo(p.call().ret());
        assertThat(e.queue()).as("queue of a successful call " + p.call()).isNotNull();
        assertThat(e.queue().inode()).as("queueInode = fstat inode, " + e).isEqualTo(p.call().ino());
        assertThat(e.queue().mode()).as("queueMode = fstat mode & 07777").isEqualTo(p.call().qmode());
        assertThat(e.queue().uid()).as("queueUid").isEqualTo(p.call().quid());
        assertThat(e.queue().gid()).as("queueGid").isEqualTo(p.call().qgid());
        assertThat(e.ipcNs()).as("ipcNs = /proc/<pid>/ns/ipc of the caller").isEqualTo(p.call().ipcNs());
    }

    /** created as this hook set can see it: exact for O_EXCL and without O_CREAT; otherwise fentry/kprobe only. */
    private Boolean createdAsSeen(boolean created) {
        return mode == AttachMode.TRACEPOINT ? null : created;
    }

    @Test
    void aNameOnAnUntouchedFileBackedPageIsRecordedWithTheKernelsName() throws Exception {
        String q = unique("mmap");
        List<Pair> pairs = runAndCapture(
                "name=" + q + " oflag=RDWR|CREAT|EXCL mode=0600",
                "name=" + q + " mmapname oflag=RDONLY");
        MqOpenEvent e = pairs.get(1).event();
        assertThat(e.succeeded()).as("the kernel paged the name in and opened the queue").isTrue();
        assertThat(e.nameError()).as("the probe can't fault a page in at entry").isEqualTo(EFAULT);
        assertThat(e.name()).isEmpty();
        assertThat(e.kernelName()).as("kernel name").containsExactly(bytes(q));
        assertThat(e.nameChanged()).as("an unreadable name the kernel resolved is not a change").isFalse();
        assertQueueIsTheOneOpened(pairs.get(1));
        assertThat(e.queue().inode()).isEqualTo(pairs.get(0).event().queue().inode());
    }

    @Test
    @Tag("race")
    void theKernelNameIsTheQueueOpenedWhileAnotherThreadFlipsTheName() throws Exception {
        // whether a flip lands between the entry read and the kernel's own copy is up to the scheduler (on a loaded
        // machine the flipper may rarely run beside the caller): up to 5 rounds, each checked call by call, until
        // both a call that opened the other queue and a call whose entry read differs from the name used were seen
        int changed = 0, opensOfB = 0;
        for (int round = 0; round < 5 && (changed == 0 || opensOfB == 0); round++) {
            int[] seen = raceRound();
            changed += seen[0];
            opensOfB += seen[1];
        }
        assertThat(opensOfB).as("the flipper made some calls open the other queue").isPositive();
        assertThat(changed).as("calls whose entry read differs from the name used").isPositive();
    }

    /** One round of RACE_CALLS opens while the name flips; every event checked; {changed, opens of B}. */
    private int[] raceRound() throws Exception {
        String base = unique("race");
        String a = base + "-q0", b = base + "-q1"; // the flipper toggles the last byte: '0' <-> '1'
        int calls = RACE_CALLS;
        Captured.drainAll(probe, e -> false);
        ProbeCounters before = probe.counters();
        Captured.Result<HelperRun> r = Captured.during(probe, () -> MqOpenHelper.run(Duration.ofSeconds(120), List.of(
                "name=" + a + " oflag=RDWR|CREAT|EXCL mode=0600",
                "name=" + b + " oflag=RDWR|CREAT|EXCL mode=0600",
                "name=" + a + " oflag=RDONLY repeat=" + calls + " flip")));
        ProbeCounters after = probe.counters();
        HelperRun run = r.value();
        List<MqOpenEvent> events = r.of(run.pid());
        LossBounds.assertAccounted("the name flip", events.size(), before, after, calls + 2);
        long inoA = run.calls().get(0).ino(), inoB = run.calls().get(1).ino();
        assertThat(inoA).isNotEqualTo(inoB);

        int changed = 0, opensOfB = 0;
        for (MqOpenEvent e : events) {
            assertThat(e.succeeded()).as("both queues exist: every call succeeds, " + e).isTrue();
            byte[] kname = e.kernelName();
            long ino = e.queue().inode();
            assertThat(ino).as("queueInode names one of the two queues").isIn(inoA, inoB);
            assertThat(kname).as("kernelName is the name of the queue with that inode")
                    .containsExactly(bytes(ino == inoA ? a : b));
            assertThat(e.nameError()).isZero();
            assertThat(e.nameChanged()).as("nameChanged exactly when the name used differs from the entry read, " + e)
                    .isEqualTo(!Arrays.equals(kname, e.name()));
            if (e.nameChanged()) changed++;
            if (ino == inoB) opensOfB++;
        }
        if (events.size() == calls + 2) {
            // every call paired with its event: the queue recorded is the one the caller's descriptor names
            List<HelperCall> cs = run.calls();
            for (int i = 0; i < cs.size(); i++)
                assertThat(events.get(i).queue().inode()).as("call %d: fstat inode", i).isEqualTo(cs.get(i).ino());
        }
        return new int[] {changed, opensOfB};
    }

    @Test
    @Tag("race")
    void theNamePrefixFilterDecidesOnTheKernelsName() throws Exception {
        String base = unique("prefix");
        String a = base + "-q0", b = base + "-q1";
        int calls = RACE_CALLS / 5;
        try (MqOpenProbe onlyB = open(ProbeOptions.builder().perCpuPages(256).attachMode(mode)
                .includeComms(Set.of(MqGen.HELPER)).namePrefix(b).build())) {
            onlyB.attach(mode);
            Captured.Result<HelperRun> r = Captured.during(onlyB, () -> MqOpenHelper.run(Duration.ofSeconds(60), List.of(
                    "name=" + a + " oflag=RDWR|CREAT|EXCL mode=0600",
                    "name=" + b + " oflag=RDWR|CREAT|EXCL mode=0600",
                    "name=" + a + " oflag=RDONLY repeat=" + calls + " flip")));
            HelperRun run = r.value();
            long inoB = run.calls().get(1).ino();
            long callsOnB = run.calls().stream().filter(c -> c.ino() == inoB).count();
            List<MqOpenEvent> events = r.of(run.pid());
            ProbeCounters c = onlyB.counters();
            assertThat(events).as("only opens of " + b + " are recorded").allSatisfy(e -> {
                assertThat(e.kernelName()).containsExactly(bytes(b));
                assertThat(e.queue().inode()).isEqualTo(inoB);
            });
            LossBounds.assertAccounted("every open of " + b, events.size(), c, callsOnB);
            assertThat(callsOnB).as("the flipper reached " + b + " through a name read as " + a).isGreaterThan(1);
        }
    }

    @Test
    void opensThroughTheMqueueFilesystemAreRecorded() throws Exception {
        Path dev = mqueueMount(Path.of("/dev/mqueue"));
        Path second = mqueueMount(tmp.resolve("second"));
        String q = unique("fs"), q2 = unique("fs2"), missing = unique("fsmissing");
        List<Pair> pairs = runAndCapture(
                "umask=022",
                "via=open name=" + dev.resolve(q) + " oflag=RDWR|CREAT mode=0640",   // creates
                "via=open name=" + dev.resolve(q) + " oflag=RDWR",                    // opens
                "via=openat dir=" + dev + " name=" + q + " oflag=RDONLY",            // relative to a dirfd
                "via=openat2 dir=" + second + " name=" + q + " oflag=WRONLY",        // a second mount point
                "via=creat name=" + second.resolve(q2) + " mode=0600",               // creat
                "name=" + q + " oflag=RDONLY",                                       // the same queue by mq_open
                "via=openat dir=" + dev + " name=" + missing + " oflag=RDONLY",      // ENOENT, one component
                "via=openat dir=" + dev + " name=" + q + " oflag=RDWR|CREAT|EXCL mode=0600", // EEXIST
                "cwd=" + dev,
                "via=open name=" + q + " oflag=RDONLY");                             // relative to the cwd
        long ino = pairs.get(0).call().ino();
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            MqOpenEvent e = p.event();
            boolean mqOpen = p.call().via().equals("mq_open");
            assertThat(e.api()).as("api of " + p.call()).isEqualTo(mqOpen ? MqOpenEvent.Api.MQ_OPEN : MqOpenEvent.Api.OPEN);
            assertThat(e.returnValue()).as("ret of " + p.call()).isEqualTo(p.call().ret());
            assertThat(e.ipcNs()).isEqualTo(p.call().ipcNs());
            if (e.succeeded()) {
                assertQueueIsTheOneOpened(p);
                assertThat(e.queue().ipcNs()).as("the queue's namespace: the caller's here").isEqualTo(e.ipcNs());
            } else {
                assertThat(e.queue()).isNull();
            }
        }
        assertThat(pairs).extracting(p -> p.event().queue() == null ? -1 : p.event().queue().inode())
                .containsExactly(ino, ino, ino, ino, pairs.get(4).call().ino(), ino, -1L, -1L, ino);
        assertThat(pairs.get(0).event().created()).as("open with O_CREAT that created: FMODE_CREATED").isTrue();
        assertThat(pairs.get(0).event().queue().mode()).isEqualTo(0640);
        assertThat(pairs.get(0).event().kernelName()).containsExactly(bytes(q));
        assertThat(pairs.get(0).event().name()).as("the path as given").containsExactly(bytes(dev.resolve(q).toString()));
        assertThat(pairs.get(1).event().created()).isFalse();
        assertThat(pairs.get(3).event().kernelName()).containsExactly(bytes(q));
        assertThat(pairs.get(4).event().created()).as("creat").isTrue();
        assertThat(pairs.get(4).event().kernelName()).containsExactly(bytes(q2));
        assertThat(pairs.get(5).event().created()).as("mq_open without O_CREAT").isFalse();
        assertThat(pairs.get(6).event().errno()).isEqualTo(ENOENT);
        assertThat(pairs.get(6).event().name()).containsExactly(bytes(missing));
        assertThat(pairs.get(7).event().errno()).isEqualTo(EEXIST);
        assertThat(pairs.get(8).event().kernelName()).containsExactly(bytes(q));
    }

    /** The helper's events up to its last call, an mq_open (always recorded): what else arrived is all there is. */
    private List<MqOpenEvent> untilMarker(HelperRun run) throws Exception {
        long pid = run.pid();
        List<MqOpenEvent> events = new ArrayList<>();
        java.nio.ByteBuffer buf = MqOpenProbe.allocateBuffer(512);
        long deadline = System.currentTimeMillis() + 5_000;
        while (events.stream().noneMatch(e -> e.api() == MqOpenEvent.Api.MQ_OPEN) && System.currentTimeMillis() < deadline) {
            int n = probe.drain(buf, 50);
            for (int i = 0; i < n; i++) {
                MqOpenEvent e = RawEvent.decode(buf, i * RawEvent.SIZE);
                if (e.pid() == pid) events.add(e);
            }
        }
        events.addAll(Captured.drainAll(probe, e -> e.pid() == pid));
        return events;
    }

    @Test
    void aFailedOpenByAbsolutePathIsNotAttributed() throws Exception {
        Path dev = mqueueMount(Path.of("/dev/mqueue"));
        String missing = unique("abs");
        Captured.drainAll(probe, e -> false);
        HelperRun run = MqOpenHelper.run("via=open name=" + dev.resolve(missing) + " oflag=RDONLY",
                "name=" + missing + " oflag=RDONLY");
        assertThat(untilMarker(run)).as("only the mq_open: a path walk is needed to put the first on the mqueue fs")
                .extracting(MqOpenEvent::api).containsExactly(MqOpenEvent.Api.MQ_OPEN);
    }

    @Test
    void aNewIpcNamespaceHasItsOwnQueuesUnderTheSameNames() throws Exception {
        String q = unique("ipc");
        Path mnt = Files.createDirectories(tmp.resolve("ipc-" + q));
        List<Pair> pairs = runAndCapture(
                "name=" + q + " oflag=RDWR|CREAT|EXCL mode=0600",
                "unshare=ipc",
                "name=" + q + " oflag=RDWR|CREAT|EXCL mode=0600",
                "mountmq=" + mnt,
                "via=open name=" + mnt.resolve(q) + " oflag=RDONLY");
        MqOpenEvent host = pairs.get(0).event(), inner = pairs.get(1).event(), viaFs = pairs.get(2).event();
        assertThat(inner.succeeded()).as("the same name again, in the new namespace").isTrue();
        assertThat(inner.ipcNs()).isNotEqualTo(host.ipcNs()).isEqualTo(pairs.get(1).call().ipcNs());
        assertThat(inner.queue().ipcNs()).isEqualTo(inner.ipcNs());
        assertThat(host.created()).isTrue();
        assertThat(inner.created()).isTrue();
        assertThat(viaFs.queue().ipcNs()).as("the mount is the new namespace's").isEqualTo(inner.ipcNs());
        assertThat(viaFs.queue().inode()).isEqualTo(inner.queue().inode());
        for (Pair p : pairs) assertQueueIsTheOneOpened(p);
    }

    @Test
    void theUmaskShapesTheModeAndCreatedSaysWhoCreated() throws Exception {
        String q = unique("umask"), q2 = unique("umask2");
        List<Pair> pairs = runAndCapture(
                "umask=077",
                "name=" + q + " oflag=RDWR|CREAT mode=0666",
                "name=" + q + " oflag=RDWR|CREAT mode=0666",
                "name=" + q + " oflag=RDWR",
                "name=" + q2 + " oflag=RDWR|CREAT|EXCL mode=0666",
                "name=" + q2 + " oflag=RDWR|CREAT|EXCL mode=0666");
        for (Pair p : pairs.subList(0, 4)) assertQueueIsTheOneOpened(p);
        assertThat(pairs.get(0).event().queue().mode()).as("0666 & ~077").isEqualTo(0600);
        assertThat(pairs.get(0).event().mode()).as("the mode asked for").isEqualTo(0666);
        assertThat(pairs.get(0).event().created()).as("first O_CREAT open in " + mode).isEqualTo(createdAsSeen(true));
        assertThat(pairs.get(1).event().created()).as("second O_CREAT open in " + mode).isEqualTo(createdAsSeen(false));
        assertThat(pairs.get(2).event().created()).as("no O_CREAT").isFalse();
        assertThat(pairs.get(3).event().created()).as("O_CREAT|O_EXCL success").isTrue();
        assertThat(pairs.get(4).event().errno()).isEqualTo(EEXIST);
        assertThat(pairs.get(4).event().created()).as("a failed O_CREAT: unknown").isNull();
    }

    @Test
    void aSetuidStyleCallerWithARenamedCommIsRecordedAsItReallyIs() throws Exception {
        String q = unique("who");
        List<Pair> pairs = runAndCapture(
                "comm=" + RENAMED,
                "loginuid=4242",
                "name=" + q + " ids=1001,1002,1003,1003 oflag=RDWR|CREAT|EXCL mode=0640");
        Pair p = pairs.get(0);
        MqOpenEvent e = p.event();
        assertThat(e.comm()).as("comm is what the caller set").isEqualTo(RENAMED);
        assertThat(e.exe()).as("exe is the executable's file name").containsExactly(bytes(MqGen.HELPER));
        assertThat(e.uid()).isEqualTo(1001);
        assertThat(e.euid()).isEqualTo(1002);
        assertThat(e.fsuid()).isEqualTo(1003);
        assertThat(e.gid()).isEqualTo(1001);
        assertThat(p.call().euid()).isEqualTo(1002);
        assertThat(p.call().fsuid()).isEqualTo(1003);
        assertThat(e.loginUid()).isEqualTo(4242L);
        assertThat(e.queue().uid()).as("the queue belongs to the fs uid").isEqualTo(1003);
        assertThat(e.queue().gid()).as("and the fs gid").isEqualTo(1003);
        assertQueueIsTheOneOpened(p);
        assertThat(e.nsTid()).as("host pid namespace").isEqualTo(e.tid());
        assertThat(e.nsPid()).isEqualTo(e.pid());
        assertThat(e.userNs()).isEqualTo(nsInode("user"));
        // /proc's start time is the same clock in ticks (USER_HZ = 100 on Linux): floor(ns / 10 ms)
        assertThat(e.processStartNs() / 10_000_000L).as("processStartNs in ticks").isEqualTo(p.call().startTicks());
    }

    @Test
    void aCallerInAnotherPidNamespaceHasItsOwnNumbers() throws Exception {
        String q = unique("pidns");
        List<Pair> pairs = runAndCapture(
                "name=" + q + " oflag=RDONLY",
                "unshare=pid",
                "name=" + q + " as=0 oflag=RDONLY"); // forked into the new namespace: its pid 1
        MqOpenEvent host = pairs.get(0).event(), inner = pairs.get(1).event();
        HelperCall c = pairs.get(1).call();
        assertThat(host.pidNs()).isEqualTo(pairs.get(0).call().pidNs());
        assertThat(host.nsPid()).isEqualTo(host.pid());
        assertThat(c.pid()).as("getpid() inside").isEqualTo(1);
        assertThat(inner.nsPid()).isEqualTo(1);
        assertThat(inner.nsTid()).isEqualTo(1);
        assertThat(inner.pid()).as("the global pid").isNotEqualTo(1);
        assertThat(inner.pidNs()).isEqualTo(c.pidNs()).isNotEqualTo(host.pidNs());
        assertThat(inner.ppid()).isEqualTo(host.pid());
    }

    private static long nsInode(String ns) throws Exception {
        String link = Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)).toString();
        return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
    }

    /**
     * Each loss the probe can count, driven by simulated kernel failures, and accounted once: mq_open entries not
     * stored, entry and exit programs skipped, the open-exit program skipped (opens through the filesystem) and the
     * thread-exit program skipped (a thread whose last call's exit never ran).
     */
    @Test
    void everyLossIsCountedOnce() throws Exception {
        Path dev = mqueueMount(Path.of("/dev/mqueue"));
        record Case(String what, ProbeOptions.FaultInjection faults, boolean mqOpen, boolean viaFs) {}
        List<Case> cases = List.of(
                new Case("entry storage fails", new ProbeOptions.FaultInjection(1, 0, 0), true, false),
                new Case("entry program skipped", new ProbeOptions.FaultInjection(0, 1, 0), true, false),
                new Case("exit program skipped", new ProbeOptions.FaultInjection(0, 0, 1), true, false),
                new Case("open-exit program skipped", new ProbeOptions.FaultInjection(0, 0, 0, 1, 0, 0), false, true),
                new Case("exit and thread-exit programs skipped", new ProbeOptions.FaultInjection(0, 0, 1, 0, 1, 0), true, false),
                new Case("a mix", new ProbeOptions.FaultInjection(5, 7, 3, 4, 2, 0), true, true));
        for (Case c : cases) {
            // a comm of its own: other suites on the host run mq_open_helper too, and lostTotal counts all it keeps
            String comm = "mqtl" + UUID.randomUUID().toString().substring(0, 8);
            List<String> steps = new ArrayList<>(List.of("comm=" + comm));
            // four threads, so the last call of each thread whose exit is skipped is found at thread exit
            if (c.mqOpen()) steps.add("name=" + unique("loss") + " threads=4 repeat=250 quiet");
            if (c.viaFs())
                steps.add("via=open name=" + dev.resolve(unique("lossfs")) + " oflag=RDWR|CREAT mode=0600 threads=4 repeat=250 quiet");
            int calls = 1000 * (steps.size() - 1);
            try (MqOpenProbe p = open(ProbeOptions.builder().perCpuPages(256).attachMode(mode)
                    .includeComms(Set.of(comm)).faultInjection(c.faults()).build())) {
                p.attach(mode);
                HelperRun run = MqOpenHelper.run(Duration.ofSeconds(60), steps);
                assertThat(run.totalCalls()).isEqualTo(calls);
                List<MqOpenEvent> got = Captured.drainAll(p, e -> e.pid() == run.pid());
                ProbeCounters k = p.counters();
                LossBounds.assertAccounted(c.what(), got.size(), k, calls);
                // real failures mix in where the kernel has them: on preemptible kernels a tracing program's
                // task-storage lookup fails now and then (its per-CPU lock is busy), and programs are skipped
                ProbeOptions.FaultInjection f = c.faults();
                if (f.entryDropOneIn() == 1) assertThat(k.lostAtLeast()).as(k.toString()).isEqualTo(1000);
                if (f.entryDropOneIn() == 1) assertThat(k.entryDropped()).isPositive();
                if (f.entrySkipOneIn() == 1) assertThat(k.entrySkipped()).as(k.toString()).isPositive();
                if (f.exitSkipOneIn() == 1) assertThat(k.exitMissed()).as("found at the next entry or at thread exit, " + k)
                        .isPositive();
                if (f.openExitSkipOneIn() == 1) {
                    assertThat(got).as("no open through the filesystem recorded").isEmpty();
                    assertThat(k.missesOpenExit()).as("each open skipped is a miss of the open-exit program, " + k)
                            .isGreaterThanOrEqualTo(1000);
                    assertThat(k.losses().get("openExitMisses")).as("counted as lost").isGreaterThanOrEqualTo(1000);
                }
                if (f.taskExitSkipOneIn() == 1) {
                    assertThat(k.exitMissed()).as("each thread's last call is left to the thread exit, which was skipped, " + k)
                            .isLessThanOrEqualTo(996);
                    assertThat(k.missesTaskExit()).as("each thread exit with its last call pending, " + k)
                            .isGreaterThanOrEqualTo(4);
                    assertThat(k.losses().get("taskExitMisses")).as("counted as lost").isGreaterThanOrEqualTo(4);
                }
            }
        }
    }

    /**
     * Opens blocked in the kernel (readers of a FIFO without a writer) hold instances of the kprobe set's
     * open-exit kretprobe: with the kprobe PMU's default (max(10, 2 x CPUs)) an open of a queue meanwhile would
     * be missed. mqtap makes its kretprobes through tracefs with 4096 instances and reads their misses from
     * kprobe_profile, so the open is recorded, or at least counted; the other sets have no such limit.
     */
    @Test
    void opensBlockedInTheKernelNeverHideAQueueOpenUncounted() throws Exception {
        Path dev = mqueueMount(Path.of("/dev/mqueue"));
        Path fifo = tmp.resolve("fifo-" + UUID.randomUUID().toString().substring(0, 8));
        run("mkfifo", fifo.toString());
        String q = unique("blocked");
        // more blocked openers than a kretprobe has instances by default: max(10, 2 x possible CPUs)
        int blockers = Math.min(256, Math.max(16, 2 * possibleCpus() + 6));
        Captured.drainAll(probe, e -> false);
        ProbeCounters before = probe.counters();
        HelperRun run = MqOpenHelper.run(
                "via=open name=" + dev.resolve(q) + " oflag=RDWR|CREAT mode=0600 repeat=3 blockers=" + blockers + ":" + fifo,
                "name=" + q + " oflag=RDONLY"); // the marker
        List<MqOpenEvent> got = untilMarker(run).stream().filter(e -> e.api() == MqOpenEvent.Api.OPEN).toList();
        ProbeCounters after = probe.counters();
        long counted = after.lostTotal() - before.lostTotal();
        assertThat(got.size() + counted).as("every open of the queue recorded or counted lost, " + after)
                .isGreaterThanOrEqualTo(3);
        if (counted == 0) assertThat(got).as("nothing missed: every open recorded").hasSize(3);
        if (mode == AttachMode.KPROBE)
            assertThat(after.linkMissesOpenExit()).as("the open kretprobe's misses are known on every kernel")
                    .isGreaterThanOrEqualTo(0);
    }

    /**
     * The kernel's own kretprobe miss counts reach the counters and count as lost. A test-only option gives the kprobe
     * set's kretprobes 2 instances; callers blocked in the kernel hold them (FIFO readers in open, receivers waiting
     * on an empty queue), so the calls made meanwhile find none and the kernel counts them in kprobe_profile: the
     * open-exit link's and the queue-life calls' link misses. Only in the kprobe set, which the kernel matrix runs
     * the class in ({@code --all}); the other sets have no instances to run out of.
     */
    @Test
    void kretprobeMissesAreTheKernelsCountsAndCountAsLost() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(mode == AttachMode.KPROBE,
                "kretprobe instances exist in the kprobe set only; attached here: " + mode);
        Path dev = mqueueMount(Path.of("/dev/mqueue"));
        Path fifo = tmp.resolve("fifo-" + UUID.randomUUID().toString().substring(0, 8));
        run("mkfifo", fifo.toString());
        try (MqOpenProbe small = open(ProbeOptions.builder().attachMode(AttachMode.KPROBE).kretprobeInstancesForTests(2)
                .queueLife(true).includeComms(Set.of(MqGen.HELPER, MqGen.LIFE_HELPER)).build())) {
            small.attach(AttachMode.KPROBE);
            ProbeCounters before = small.counters();
            assertThat(before.linkMissesOpenExit()).as("read from kprobe_profile, " + before).isNotNegative();
            assertThat(before.linkMissesCalls()).as("read from kprobe_profile, " + before).isNotNegative();
            // 6 threads blocked in open(FIFO) hold both instances of the open-exit kretprobe while 3 queue opens run
            String q = unique("kret");
            MqOpenHelper.run("via=open name=" + dev.resolve(q) + " oflag=RDWR|CREAT mode=0600 repeat=3 blockers=6:" + fifo,
                    "name=" + q + " oflag=RDONLY");
            ProbeCounters opened = small.counters();
            assertThat(opened.linkMissesOpenExit() - before.linkMissesOpenExit())
                    .as("the 3 queue opens (and the 4 blockers past the 2 instances) missed, " + opened)
                    .isGreaterThanOrEqualTo(3);
            assertThat(opened.lostTotal() - before.lostTotal()).as("counted lost")
                    .isGreaterThanOrEqualTo(opened.linkMissesOpenExit() - before.linkMissesOpenExit());
            // 5 receivers wait on empty queues at once: 2 hold the receive kretprobe's instances, 3 or more miss it
            // (small queues: RLIMIT_MSGQUEUE counts every queue buffer of the owner)
            List<java.util.concurrent.CompletableFuture<MqLifeHelper.LifeRun>> receivers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String name = unique("kret-r" + i);
                receivers.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return MqLifeHelper.run(Duration.ofSeconds(60), List.of(
                                "open r name=" + name + " oflag=RDONLY|CREAT mode=0600 attr=1,64", "receive r size=64 timeout=4000"));
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }));
            }
            for (var r : receivers)
                assertThat(r.get().calls("receive")).as("each receive waited its timeout out")
                        .singleElement().extracting(LifeCall::errno).isEqualTo(110); // ETIMEDOUT
            ProbeCounters after = small.counters();
            assertThat(after.linkMissesCalls() - opened.linkMissesCalls())
                    .as("receives that found no kretprobe instance, " + after).isGreaterThanOrEqualTo(3);
            assertThat(after.lostTotal() - opened.lostTotal()).as("counted lost")
                    .isGreaterThanOrEqualTo(after.linkMissesCalls() - opened.linkMissesCalls());
            assertThat(after.losses().get("callMisses")).as("in the stats' call misses").isGreaterThanOrEqualTo(3);
        }
    }

    private static int possibleCpus() throws IOException {
        // e.g. "0-3" or "0,2-5"
        int n = 0;
        for (String range : Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim().split(",")) {
            String[] ab = range.split("-");
            n += ab.length == 1 ? 1 : Integer.parseInt(ab[1]) - Integer.parseInt(ab[0]) + 1;
        }
        return n;
    }

    @Test
    void opensOfOtherFilesAreNotRecorded() throws Exception {
        // the helper opens /proc files and O_PATH directories for its own output: none is a queue
        Captured.drainAll(probe, e -> false);
        HelperRun run = MqOpenHelper.run("via=open name=/etc/hostname oflag=RDONLY",
                "via=openat dir=/proc name=self oflag=RDONLY", "name=" + unique("marker") + " oflag=RDONLY");
        List<MqOpenEvent> events = untilMarker(run);
        assertThat(run.calls().subList(0, 2)).extracting(HelperCall::ret).as("both opens succeeded").allMatch(ret -> ret >= 0);
        assertThat(events).as("only the mq_open: the other files are not queues")
                .extracting(MqOpenEvent::api).containsExactly(MqOpenEvent.Api.MQ_OPEN);
    }
}
