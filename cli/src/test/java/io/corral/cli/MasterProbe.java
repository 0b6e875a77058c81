package io.corral.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import io.corral.codec.Protocol;
import io.corral.master.MasterNode;

/** A test's reads of a master's HTTP port (open on loopback, as corral dev runs it). */
final class MasterProbe
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private MasterProbe()
    {
    }

    static URI uri(final MasterNode m, final String path)
    {
        return URI.create("http://" + Protocol.host(m.address()) + ":" + (Protocol.port(m.address()) +
            Protocol.HTTP_PORT_OFFSET) + path);
    }

    static HttpResponse<String> get(final MasterNode m, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri(m, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One series of the master's /metrics ({@code name{labels}}), 0 if absent. */
    static double metric(final MasterNode m, final String series) throws Exception
    {
        for (final String line : get(m, "/metrics").body().split("\n"))
        {
            if (line.startsWith(series + " "))
            {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }
}
