package io.mqtap.release;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * deploy/helm/mqtap rendered and linted by Helm's own engine (helm-java), every manifest parsed into
 * fabric8's Kubernetes model with no field left unknown (a typo'd key would land in additionalProperties),
 * and the DaemonSet held to what the chart promises.
 */
@Tag("jvm")
class HelmChartTest {
    private static final Path ROOT = Path.of(System.getProperty("mqtap.root", ".."));
    private static final Path CHART = ROOT.resolve("deploy/helm/mqtap");

    private static List<HasMetadata> render(Map<String, Object> set) {
        var t = new Helm(CHART).template().withName("mqtap").withNamespace("observability");
        set.forEach(t::set);
        String yaml = t.call();
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) continue;
            Object o = Serialization.unmarshal(doc);
            out.add((HasMetadata) o);
        }
        return out;
    }

    @Test
    void lintsCleanStrict() {
        LintResult r = new Helm(CHART).lint().strict().call();
        assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
    }

    @Test
    void everyManifestIsAKnownKubernetesObjectWithNoUnknownField() throws Exception {
        List<HasMetadata> all = render(Map.of("serviceMonitor.enabled", true, "prometheusRule.enabled", true,
                "secrets.values.KAFKA_PASSWORD", "s3cret", "cluster", "prod-eu-1"));
        assertThat(all.stream().map(HasMetadata::getKind).sorted().toList()).containsExactly("ClusterRole", "ClusterRoleBinding",
                "ConfigMap", "DaemonSet", "PrometheusRule", "Secret", "Service", "ServiceAccount", "ServiceMonitor");
        for (HasMetadata m : all) {
            if (m instanceof GenericKubernetesResource) continue; // the Prometheus Operator's kinds: checked below
            assertThat(unknownFields(m, "", new IdentityHashMap<>())).as(m.getKind()).isEmpty();
        }
    }

    @Test
    void daemonSetKeepsItsPromises() {
        DaemonSet ds = render(Map.of()).stream().filter(DaemonSet.class::isInstance).map(DaemonSet.class::cast).findFirst().orElseThrow();
        var spec = ds.getSpec();
        assertThat(spec.getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(spec.getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getStrVal()).matches("\\d+%");
        var pod = spec.getTemplate().getSpec();
        assertThat(pod.getHostPID()).isFalse();
        assertThat(pod.getHostNetwork()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
        Container c = pod.getContainers().get(0);
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).containsExactlyInAnyOrder("BPF", "PERFMON");
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKey("memory");
        Map<String, String> mounts = c.getVolumeMounts().stream().collect(Collectors.toMap(v -> v.getName(), v -> v.getMountPath()));
        assertThat(mounts).containsEntry("tracefs", "/sys/kernel/tracing").containsEntry("bpffs", "/sys/fs/bpf")
                .containsEntry("spool", "/var/lib/mqtap").containsEntry("config", "/etc/mqtap").containsEntry("cgroup", "/host/sys/fs/cgroup");
        Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
        assertThat(volumes.get("spool").getHostPath().getPath()).isEqualTo("/var/lib/mqtap");
        assertThat(volumes.get("tracefs").getHostPath().getPath()).isEqualTo("/sys/kernel/tracing");
        assertThat(volumes.get("config").getConfigMap().getName()).isEqualTo("mqtap-mqtap");
        assertThat(c.getEnv()).anySatisfy(e -> assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName"));
        // no ServiceMonitor, PrometheusRule or Secret unless asked for
        assertThat(render(Map.of()).stream().map(HasMetadata::getKind)).doesNotContain("ServiceMonitor", "PrometheusRule", "Secret");
    }

    @Test
    void theConfigMapHoldsAConfigTheProducerAccepts() throws Exception {
        var cm = render(Map.of("cluster", "prod-eu-1")).stream().filter(m -> m.getKind().equals("ConfigMap")).findFirst().orElseThrow();
        String config = ((io.fabric8.kubernetes.api.model.ConfigMap) cm).getData().get("config.yml");
        Path file = Files.createTempFile("mqtap-chart-", ".yml");
        Files.writeString(file, config);
        try {
            // the producer's own check, with the variables the pod gets from the downward API
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "io.mqtap.producer.MqTapApplication", "check", file.toString()).redirectErrorStream(true);
            pb.environment().put("NODE_NAME", "node-a");
            pb.environment().put("POD_IP", "10.1.2.3");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(config).contains("cluster: \"prod-eu-1\"").contains("cgroupRoot: /host/sys/fs/cgroup")
                    .contains("fairness:");
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void thePrometheusRuleCarriesTheRulesFile() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        assertThat(Files.readString(CHART.resolve("files/mqtap-rules.yml")))
                .as("the chart's copy of deploy/prometheus/mqtap-rules.yml").isEqualTo(Files.readString(ROOT.resolve("deploy/prometheus/mqtap-rules.yml")));
        GenericKubernetesResource rule = (GenericKubernetesResource) render(Map.of("prometheusRule.enabled", true)).stream()
                .filter(m -> m.getKind().equals("PrometheusRule")).findFirst().orElseThrow();
        JsonNode rendered = yaml.valueToTree(rule.getAdditionalProperties().get("spec")).path("groups");
        JsonNode file = yaml.readTree(ROOT.resolve("deploy/prometheus/mqtap-rules.yml").toFile()).path("groups");
        assertThat(rendered).isEqualTo(file);
        assertThat(rule.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    }

    /** Paths of every additionalProperties entry in the object graph: keys the model did not know. */
    private static List<String> unknownFields(Object o, String path, IdentityHashMap<Object, Boolean> seen) throws Exception {
        List<String> out = new ArrayList<>();
        if (o == null || seen.put(o, true) != null) return out;
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) out.addAll(unknownFields(e, path + "[" + i++ + "]", seen));
            return out;
        }
        if (o instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) out.addAll(unknownFields(e.getValue(), path + "." + e.getKey(), seen));
            return out;
        }
        if (!(o instanceof KubernetesResource)) return out;
        for (Class<?> k = o.getClass(); k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) continue;
                f.setAccessible(true);
                Object v = f.get(o);
                if (f.getName().equals("additionalProperties") && v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(key -> out.add(path + "." + key));
                } else {
                    out.addAll(unknownFields(v, path + "." + f.getName(), seen));
                }
            }
        }
        return out;
    }
}
