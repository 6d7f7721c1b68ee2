package io.mqtap.producer;

import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.mqtap.producer.admin.OperatorEndpoints;
import io.mqtap.producer.capture.LeastPrivilege;
import io.mqtap.producer.capture.ProbeEventSource;
import io.mqtap.producer.cli.RegisterSchemasCommand;
import io.mqtap.producer.cli.TailCommand;
import io.mqtap.producer.config.CaptureFactory;
import io.mqtap.producer.config.ConfigFile;
import io.mqtap.producer.config.ConfigReload;
import io.mqtap.producer.config.ThresholdsFactory;
import io.mqtap.producer.config.LoopbackDefaults;
import io.mqtap.producer.config.SecretSubstitutor;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.producer.core.Workloads;
import io.mqtap.producer.kubernetes.PodInformer;
import io.mqtap.producer.health.KafkaHealthCheck;
import io.mqtap.producer.health.KernelLossHealthCheck;
import io.mqtap.producer.health.ProbeHealthCheck;
import io.mqtap.producer.health.SchemaHealthCheck;
import io.mqtap.producer.health.SystemdWatchdog;
import io.mqtap.producer.kafka.CachedSchemaIds;
import io.mqtap.producer.kafka.KafkaWiring;
import io.mqtap.producer.kafka.SchemaGate;
import io.mqtap.producer.kafka.TopicProvisioner;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.metrics.PrometheusMetrics;
import io.mqtap.producer.pipeline.CapturePipeline;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;

/** The mqtap producer: captures every mq_open on this host and publishes it to Kafka. */
public class MqTapApplication extends Application<MqTapConfiguration> {
    private CapturePipeline pipeline;
    private final ConfigFile configFile = new ConfigFile();
    private volatile org.eclipse.jetty.server.Server server;

    public static void main(String[] args) throws Exception {
        new MqTapApplication().run(args);
    }

    @Override
    public String getName() {
        return "mqtap";
    }

    @Override
    public void initialize(Bootstrap<MqTapConfiguration> bootstrap) {
        // ${VAR} and ${VAR:-default} from the environment, ${file:/path} from a secret file; an unset variable
        // without a default, or an unreadable file, fails the start naming it
        bootstrap.setConfigurationSourceProvider(configFile.remembering(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new SecretSubstitutor())));
        bootstrap.addCommand(new TailCommand());
        bootstrap.addCommand(new RegisterSchemasCommand());
    }

    @Override
    public void run(MqTapConfiguration config, Environment env) {
        LoopbackDefaults.apply(config.getServerFactory());
        if (!config.getSecurity().isOperatorEndpoints()) {
            env.admin().addFilter("operator-endpoints", new OperatorEndpoints())
                    .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, OperatorEndpoints.PATHS);
        }
        HostIdentity host = config.getHost().detect();
        KafkaWiring kafka = new KafkaWiring(config.getKafka(), config.getSchemaRegistry(), host);
        Producer<byte[], byte[]> producer = kafka.producer();
        CachedSchemaIds schemaIds = kafka.schemaIds(config.getSchemaRegistry().idCachePath(config.getSpool().getDir()));
        SchemaGate schema = new SchemaGate(schemaIds, 30_000, schemaIds::startDelayMillis);
        PipelineMetrics metrics = new PipelineMetrics(env.metrics());
        CaptureFactory capture = config.getCapture();
        var pipe = config.getPipeline();
        PodInformer pods = config.getKubernetes().podInformer();
        if (pods != null) env.lifecycle().manage(pods);
        Workloads workloads = new Workloads(config.getKubernetes().cgroups(), pods);
        // Kafka is first called by the publisher, after the probe is attached: topics (created when allowed) and the
        // durability floor are checked there, and capture goes to the spool meanwhile
        pipeline = new CapturePipeline(new CapturePipeline.Parts(host,
                () -> LeastPrivilege.afterAttach(ProbeEventSource.open(capture.toOptions(), capture.mode(), capture.getBatchEvents()),
                        capture.isDropCapabilities()),
                producer, kafka.topics(), config.getKafka().getStatsTopic(), schema, kafka.values()::schemaId,
                s -> kafka.values().serialize(config.getKafka().getStatsTopic(), s),
                () -> TopicProvisioner.ensure(kafka.adminProperties(), config.getKafka()), config.getSpool().toOptions(),
                pipe.getHandoffCapacity(), pipe.getOverflow(), capture.getBatchEvents(),
                (int) capture.getDrainInterval().toMilliseconds(), Duration.ofMillis(capture.getAccess().getWindow().toMilliseconds()),
                Duration.ofMillis(pipe.getStatsInterval().toMilliseconds()),
                Duration.ofMillis(pipe.getShutdownTimeout().toMilliseconds()), config.getPrivacy().nameHmac(), workloads), metrics);
        // a dead pipeline thread, or a Kafka problem only an operator can fix: exit non-zero (the shutdown hook still
        // stops what runs, within shutdownTimeout), so systemd restarts us; the spool keeps what was not sent
        pipeline.onFatal(this::fatal);
        env.lifecycle().manage(pipeline);

        env.healthChecks().register("probe", new ProbeHealthCheck(pipeline::probeState));
        AtomicReference<ThresholdsFactory> thresholds = new AtomicReference<>(config.getThresholds());
        env.healthChecks().register("kernel-loss", new KernelLossHealthCheck(pipeline.lossWindow(),
                () -> thresholds.get().getMaxKernelLossRatio()));
        env.healthChecks().register("kafka", new KafkaHealthCheck(pipeline::publisher, pipeline.errors(),
                () -> thresholds.get().getAckTimeout().toNanoseconds(), pipeline::publisherEnded));
        env.healthChecks().register("schema", new SchemaHealthCheck(schema));
        PrometheusMetrics prometheus = new PrometheusMetrics(env.metrics(), metrics, pipeline::probeState, schema::registered);
        env.admin().addServlet("prometheus", prometheus.servlet()).addMapping("/prometheus");
        SystemdWatchdog watchdog = new SystemdWatchdog(pipeline::alive, () -> "capturing, probe " + pipeline.probeState().detail());
        env.lifecycle().manage(watchdog);
        // SIGHUP: filters (in the kernel, the probe stays attached) and thresholds now; anything else is named as needing a restart
        if (configFile.path() != null) {
            ConfigReload reload = new ConfigReload(() -> configFile.read(env), config, env.getObjectMapper(), List.of(
                    new ConfigReload.Part("capture.filters", "filters replaced in the kernel, the probe stayed attached",
                            next -> pipeline.updateFilters(next.getCapture().toOptions())),
                    new ConfigReload.Part("capture.fairness", "the per-user budget replaced in the kernel, the probe stayed attached",
                            next -> pipeline.updateFairness(next.getCapture().toOptions())),
                    new ConfigReload.Part("thresholds", "health check thresholds", next -> thresholds.set(next.getThresholds()))),
                    configFile.path());
            ConfigReload.onHangup(reload::reload);
        }
        env.lifecycle().addServerLifecycleListener(s -> {
            server = s;
            watchdog.ready();
        });
    }

    /** A pipeline thread ended on its own: exit with status 1 (from another thread: the exit runs the shutdown hooks). */
    protected void fatal(String why) {
        new Thread(() -> System.exit(1), "mqtap-fatal-exit").start();
    }

    /** The running Jetty server (null before it started), so an embedding program can stop it. */
    public org.eclipse.jetty.server.Server server() {
        return server;
    }

    /** The running pipeline, for tests. */
    public CapturePipeline pipeline() {
        return pipeline;
    }
}
