using System.Diagnostics;
using System.Text.Json;

namespace Herald.LoadGen;

/// <summary>
/// The server's counters at one moment: CPU time from /proc, and GC counters when the server offers them; with the
/// load generator's own CPU time (<see cref="Environment.CpuUsage"/>: user + system, read at the same moment).
/// </summary>
internal sealed record ServerSample(long Ticks, double? CpuMs, JsonElement? Gc, double ClientCpuMs)
{
    /// <summary>The load generator's own CPU time so far (user + system, all its threads), in milliseconds.</summary>
    public static double ClientCpuNowMs() => Environment.CpuUsage.TotalTime.TotalMilliseconds;

    /// <summary>Adds what the server spent between two samples, per delivered event.</summary>
    public static void AddDelta(Measurement m, ServerSample before, ServerSample after, long events) =>
        AddSum(m, [(before, after)], events);

    /// <summary>Adds what the server spent over several measured intervals, per delivered event.</summary>
    public static void AddSum(Measurement m, IReadOnlyList<(ServerSample Before, ServerSample After)> intervals, long events)
    {
        if (events <= 0)
        {
            return;
        }

        if (intervals.Count == 0)
        {
            return;
        }

        if (intervals.All(i => i.Before.CpuMs is not null && i.After.CpuMs is not null))
        {
            var cpu = intervals.Sum(i => i.After.CpuMs!.Value - i.Before.CpuMs!.Value);
            m.Metrics["server_cpu_ms"] = cpu;
            m.Metrics["server_cpu_us_per_event"] = cpu * 1000 / events;
        }

        // The load generator's own CPU over the same windows: if it spends more per event than the server, the
        // measurement shows the client's limit, not the server's.
        var clientCpu = intervals.Sum(i => i.After.ClientCpuMs - i.Before.ClientCpuMs);
        m.Metrics["client_cpu_ms"] = clientCpu;
        m.Metrics["client_cpu_us_per_event"] = clientCpu * 1000 / events;
        if (m.Metrics.TryGetValue("server_cpu_us_per_event", out var serverPerEvent))
        {
            m.ClientBound = clientCpu * 1000 / events > serverPerEvent;
        }

        if (intervals.All(i => i.Before.Gc is not null && i.After.Gc is not null))
        {
            double Delta(string name) => intervals.Sum(i => i.After.Gc!.Value.GetProperty(name).GetDouble() - i.Before.Gc!.Value.GetProperty(name).GetDouble());
            var wallMs = intervals.Sum(i => Stopwatch.GetElapsedTime(i.Before.Ticks, i.After.Ticks).TotalMilliseconds);
            m.Metrics["server_alloc_bytes_per_event"] = Delta("allocatedBytes") / events;
            m.Metrics["server_gc_pause_ms"] = Delta("pauseMs");
            m.Metrics["server_gc_pause_pct"] = 100 * Delta("pauseMs") / Math.Max(1, wallMs);
            m.Metrics["server_gen0"] = Delta("gen0");
            m.Metrics["server_gen1"] = Delta("gen1");
            m.Metrics["server_gen2"] = Delta("gen2");
            m.Metrics["server_heap_mib"] = intervals[^1].After.Gc!.Value.GetProperty("heapBytes").GetDouble() / 1048576;
        }
    }
}

/// <summary>Takes <see cref="ServerSample"/>s; the GC endpoint (<c>GET {url}bench/gc</c>) is tried once and only used if it answers.</summary>
internal sealed class ServerSampler(ServerProcess process, HttpClient http, Uri url)
{
    private bool? _gcAvailable;

    public async Task<ServerSample> SampleAsync()
    {
        // Both CPU times at the same moment, before the GC request: each window then includes one such request on either side.
        var ticks = Stopwatch.GetTimestamp();
        var serverCpu = process.CpuMilliseconds();
        var clientCpu = ServerSample.ClientCpuNowMs();
        return new(ticks, serverCpu, await GetGcAsync("bench/gc", TimeSpan.FromSeconds(2)), clientCpu);
    }

    /// <summary>
    /// The server's live managed heap in MiB after a full, compacting collection (<c>GET {url}bench/gc?collect=1</c>):
    /// what it still holds, without the free space the GC keeps committed for reuse. Null when the server has no such endpoint.
    /// </summary>
    public async Task<double?> LiveHeapMibAsync() =>
        await GetGcAsync("bench/gc?collect=1", TimeSpan.FromSeconds(10)) is { } gc && gc.TryGetProperty("heapBytes", out var heap)
            ? heap.GetDouble() / 1048576
            : null;

    /// <summary>The GC endpoint's answer; null (and never asked again) when the server does not offer it.</summary>
    private async Task<JsonElement?> GetGcAsync(string path, TimeSpan timeout)
    {
        if (_gcAvailable == false)
        {
            return null;
        }

        try
        {
            using var cts = new CancellationTokenSource(timeout);
            using var response = await http.GetAsync(new Uri(url, path), cts.Token);
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cts.Token));
                _gcAvailable = true;
                return document.RootElement.Clone();
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException)
        {
        }

        _gcAvailable = false;
        return null;
    }
}
