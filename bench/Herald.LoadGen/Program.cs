using System.Globalization;
using System.Net;
using System.Text.Json;
using Herald.LoadGen;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(LoadGenOptions.Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    if (args[0] == "report")
    {
        return Report.Run(LoadGenOptions.ParseArgs(args[1..]));
    }

    var options = LoadGenOptions.Parse(LoadGenOptions.ParseArgs(args));
    using var handler = new SocketsHttpHandler
    {
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = int.MaxValue,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    };
    using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    if (options.Binding == "grpc")
    {
        // The gRPC address speaks HTTP/2 only (without TLS: prior knowledge); the GC endpoint is read there too.
        http.DefaultRequestVersion = HttpVersion.Version20;
        http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
    }

    var label = options.Label ?? options.Url.Authority;
    Console.WriteLine($"{options.Scenario} against {label} ({options.Url}, A2A {options.A2AVersion}, {options.Binding})");
    var report = new ScenarioReport
    {
        Scenario = options.Scenario,
        Url = options.Url.ToString(),
        Label = label,
        A2AVersion = options.A2AVersion,
        Binding = options.Binding,
        Started = DateTimeOffset.UtcNow,
        CommandLine = string.Join(' ', args),
    };
    report.Results.AddRange(await new Scenarios(options, http, Console.WriteLine).RunAsync());
    PrintTable(report);
    if (options.JsonPath is { } path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, ResultsJsonContext.Default.ScenarioReport));
    }

    return report.Results.All(r => r.Ok) ? 0 : 1;
}
catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or HttpRequestException or FormatException or OperationCanceledException)
{
    Console.Error.WriteLine($"herald-loadgen: {ex.Message}");
    return 2;
}

static void PrintTable(ScenarioReport report)
{
    Console.WriteLine();
    Console.WriteLine($"{"measurement",-22} {"ok",-3} metrics");
    foreach (var m in report.Results)
    {
        var metrics = string.Join("  ", m.Metrics.Select(kv => $"{kv.Key}={kv.Value.ToString(kv.Value >= 100 ? "F0" : "0.###", CultureInfo.InvariantCulture)}"));
        Console.WriteLine($"{m.Name,-22} {(m.Ok ? "yes" : "NO"),-3} {metrics}");
        if (m.Problem is not null)
        {
            Console.WriteLine($"{"",-26}problem: {m.Problem}");
        }

        if (m.ClientBound == true)
        {
            Console.WriteLine($"{"",-26}client-bound: the load generator spent more CPU per event than the server");
        }
    }
}
