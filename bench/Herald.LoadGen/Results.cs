using System.Text.Json.Serialization;

namespace Herald.LoadGen;

/// <summary>One run of the load generator: a scenario against one server.</summary>
internal sealed record ScenarioReport
{
    public required string Scenario { get; init; }

    public required string Url { get; init; }

    /// <summary>Which server this was (herald, reference, js, ...), for the combined report.</summary>
    public required string Label { get; init; }

    public required string A2AVersion { get; init; }

    /// <summary><c>jsonrpc</c>, <c>rest</c> or <c>grpc</c>.</summary>
    public string Binding { get; init; } = "jsonrpc";

    public required DateTimeOffset Started { get; init; }

    public required string CommandLine { get; init; }

    public List<Measurement> Results { get; init; } = [];
}

/// <summary>One measured configuration of a scenario (e.g. stream N=10,000).</summary>
internal sealed record Measurement
{
    public required string Name { get; init; }

    /// <summary>True when every stream ended as expected (complete, identical, open...).</summary>
    public bool Ok { get; set; }

    public string? Problem { get; set; }

    /// <summary>
    /// True when the load generator spent more CPU per event than the server over the measured windows
    /// (<c>client_cpu_us_per_event</c> above <c>server_cpu_us_per_event</c>): the figure may show the client's limit, not
    /// the server's. Null when the server's CPU time was not available.
    /// </summary>
    public bool? ClientBound { get; set; }

    public SortedDictionary<string, double> Metrics { get; init; } = new(StringComparer.Ordinal);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ScenarioReport))]
internal sealed partial class ResultsJsonContext : JsonSerializerContext;
