using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>The sender of a message (proto <c>Role</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Role>))]
public enum Role
{
    [JsonStringEnumMemberName("ROLE_UNSPECIFIED")] Unspecified = 0,
    [JsonStringEnumMemberName("ROLE_USER")] User = 1,
    [JsonStringEnumMemberName("ROLE_AGENT")] Agent = 2,
}
