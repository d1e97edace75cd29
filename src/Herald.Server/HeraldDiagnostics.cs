namespace Herald.Server;

/// <summary>
/// The names Herald emits telemetry under: one <see cref="System.Diagnostics.ActivitySource"/> and one
/// <see cref="System.Diagnostics.Metrics.Meter"/>, both <see cref="Name"/>. Subscribe with OpenTelemetry
/// (<c>AddSource("Herald")</c>, <c>AddMeter("Herald")</c>) or any <c>ActivityListener</c>/<c>MeterListener</c>;
/// nothing is recorded while nobody listens. docs/observability.md lists every span, attribute and instrument.
/// </summary>
public static class HeraldDiagnostics
{
    /// <summary>The name of Herald's activity source and meter.</summary>
    public const string Name = "Herald";
}
