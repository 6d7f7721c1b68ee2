package io.mqtap.producer.admin;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Refuses the admin endpoints that change the service or cost it CPU (Dropwizard's tasks: {@code gc},
 * {@code log-level}; the thread dump and the CPU profile) with 403 and a sentence saying how to enable them: any local
 * user can reach a loopback port, and a slowed pipeline loses events in the kernel. Metrics, ping and health stay.
 */
public final class OperatorEndpoints implements Filter {
    /** The admin paths this filter guards. */
    public static final String[] PATHS = {"/tasks/*", "/threads", "/threads/*", "/pprof", "/pprof/*"};

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException {
        HttpServletResponse http = (HttpServletResponse) response;
        http.setStatus(HttpServletResponse.SC_FORBIDDEN);
        http.setContentType("text/plain;charset=utf-8");
        http.getWriter().println("Disabled: admin tasks, thread dumps and CPU profiles are off unless security.operatorEndpoints is true");
    }
}
