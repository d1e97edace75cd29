using System.Text.Json.Serialization;

namespace Herald.Protocol.V03;

/// <summary>The v0.3 task states: lowercase and kebab-case names on the wire.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<V03TaskState>))]
public enum V03TaskState
{
    [JsonStringEnumMemberName("unknown")] Unknown = 0,
    [JsonStringEnumMemberName("submitted")] Submitted,
    [JsonStringEnumMemberName("working")] Working,
    [JsonStringEnumMemberName("input-required")] InputRequired,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("canceled")] Canceled,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("rejected")] Rejected,
    [JsonStringEnumMemberName("auth-required")] AuthRequired,
}
