package io.mqtap.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DemoOptionsTest {
    @Test
    void defaultsAndEveryOption() {
        assertThat(DemoOptions.parse()).isEqualTo(new DemoOptions(0, false, true, 50));
        assertThat(DemoOptions.parse("--duration", "20", "--json", "--no-generate", "--rate", "500"))
                .isEqualTo(new DemoOptions(20, true, false, 500));
        assertThat(DemoOptions.parse("--no-generate", "--generate")).extracting(DemoOptions::generate).isEqualTo(true);
    }

    @Test
    void aMissingValueIsNamedNotAnIndexError() {
        assertThatThrownBy(() -> DemoOptions.parse("--rate")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--rate").hasMessageContaining("expected one argument");
    }

    @Test
    void badValuesAndUnknownOptionsAreNamed() {
        assertThatThrownBy(() -> DemoOptions.parse("--duration", "soon"))
                .hasMessageContaining("--duration takes a positive whole number, not 'soon'");
        assertThatThrownBy(() -> DemoOptions.parse("--rate", "0")).hasMessageContaining("--rate takes a positive whole number, not '0'");
        assertThatThrownBy(() -> DemoOptions.parse("--colour")).hasMessageContaining("unrecognized arguments: '--colour'");
        assertThatThrownBy(() -> DemoOptions.parse("-h")).hasMessageContaining("usage: ./mqtap demo")
                .hasMessageContaining("--rate R");
    }
}
