package io.corral.master.mesos;

import java.io.IOException;

import com.sun.net.httpserver.HttpExchange;
import io.corral.master.MasterNode;

/**
 * Mesos's v1 HTTP API on a Corral master's HTTP port (issue 14): the scheduler endpoint
 * ({@link MesosSchedulerApi}) and the operator endpoints Mesos tooling reads
 * ({@link MesosOperatorApi}). The master's HTTP server routes to these handlers and applies its
 * read authentication to the operator ones; the scheduler endpoint authenticates frameworks
 * itself (HTTP Basic, {@code --authenticate_http_frameworks}).
 */
public final class MesosApi implements AutoCloseable
{
    private final MesosSchedulerApi scheduler;
    private final MesosOperatorApi operator;

    public MesosApi(final MasterNode node)
    {
        scheduler = new MesosSchedulerApi(node);
        operator = new MesosOperatorApi(node);
    }

    /** {@code POST /api/v1/scheduler}. */
    public void scheduler(final HttpExchange exchange) throws IOException
    {
        scheduler.handle(exchange);
    }

    /** {@code GET /redirect}, {@code /master/redirect}: 307 to the leader. */
    public void redirect(final HttpExchange exchange) throws IOException
    {
        operator.redirect(exchange);
    }

    /** {@code GET /master/state}, {@code /state}. */
    public void state(final HttpExchange exchange) throws IOException
    {
        operator.state(exchange);
    }

    /** {@code GET /metrics/snapshot}. */
    public void metrics(final HttpExchange exchange) throws IOException
    {
        operator.metrics(exchange);
    }

    /** {@code GET /master/health}. */
    public void health(final HttpExchange exchange) throws IOException
    {
        operator.health(exchange);
    }

    /** {@code GET /version}. */
    public void version(final HttpExchange exchange) throws IOException
    {
        operator.version(exchange);
    }

    /** {@code POST /api/v1}: Mesos's operator calls (the read-only ones). */
    public void operatorCall(final HttpExchange exchange) throws IOException
    {
        operator.call(exchange);
    }

    /** Frameworks subscribed through this master's scheduler endpoint now. */
    public int streams()
    {
        return scheduler.streams();
    }

    @Override
    public void close()
    {
        scheduler.close();
    }
}
