using System.Text.Json.Serialization;

namespace Herald.Protocol.V03;

/// <summary>The sender of a v0.3 message: <c>user</c> or <c>agent</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<V03Role>))]
public enum V03Role
{
    [JsonStringEnumMemberName("user")] User = 0,
    [JsonStringEnumMemberName("agent")] Agent = 1,
}
