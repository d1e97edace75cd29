using System.Text.Json.Serialization;

namespace Herald.Bench;

[JsonSerializable(typeof(long))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
