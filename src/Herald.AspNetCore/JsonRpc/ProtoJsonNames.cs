using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// ProtoJSON input names: a ProtoJSON parser accepts each field under its JSON name (<c>messageId</c>) and its proto
/// name (<c>message_id</c>), and A2A v1.0 adopts ProtoJSON (ADR-001). The source-generated contracts hold one name per
/// member and cannot set init-only members through an added alias, so a request whose members are spelled the proto
/// way is rewritten to the JSON names before it is bound.
/// </summary>
/// <remarks>
/// The walk follows the contract: only members of the request's records are renamed, never the keys of free-form
/// values (<c>metadata</c>, a data part's <c>data</c>), which belong to the sender. A request that has no member name
/// holding an underscore (every request from a client that writes JSON names) is checked without allocating and
/// bound as it is; responses are not touched.
/// </remarks>
internal static class ProtoJsonNames
{
    /// <summary>True when some member of <paramref name="element"/> (read as <paramref name="info"/>) goes by its proto name.</summary>
    public static bool HasProtoNames(JsonElement element, JsonTypeInfo info)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when info.Kind == JsonTypeInfoKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    if (JsonMarshal.GetRawUtf8PropertyName(member).IndexOf((byte)'_') >= 0)
                    {
                        if (Find(info, member, out _) is not null)
                        {
                            return true;
                        }
                    }
                    else if (Find(info, member, out _) is { } property && Child(info, property.PropertyType) is { } child && HasProtoNames(member.Value, child))
                    {
                        return true;
                    }
                }

                return false;

            case JsonValueKind.Array when info.Kind == JsonTypeInfoKind.Enumerable && info.ElementType is { } type && Child(info, type) is { } item:
                foreach (var value in element.EnumerateArray())
                {
                    if (HasProtoNames(value, item))
                    {
                        return true;
                    }
                }

                return false;

            default:
                return false;
        }
    }

    /// <summary><paramref name="element"/> written with every proto member name replaced by its JSON name.</summary>
    public static void Rewrite(Utf8JsonWriter writer, JsonElement element, JsonTypeInfo? info)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when info is { Kind: JsonTypeInfoKind.Object }:
                writer.WriteStartObject();
                foreach (var member in element.EnumerateObject())
                {
                    if (Find(info, member, out var jsonName) is { } property)
                    {
                        writer.WritePropertyName(jsonName);
                        Rewrite(writer, member.Value, Child(info, property.PropertyType));
                    }
                    else
                    {
                        member.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
                return;

            case JsonValueKind.Array when info is { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } type }:
                var item = Child(info, type);
                writer.WriteStartArray();
                foreach (var value in element.EnumerateArray())
                {
                    Rewrite(writer, value, item);
                }

                writer.WriteEndArray();
                return;

            default:
                element.WriteTo(writer);
                return;
        }
    }

    /// <summary>
    /// The member of <paramref name="info"/> that <paramref name="member"/> names: by its JSON name, or by its proto
    /// name (protoc's rule: an underscore drops and capitalizes the letter after it).
    /// </summary>
    private static JsonPropertyInfo? Find(JsonTypeInfo info, JsonProperty member, out string jsonName)
    {
        var name = JsonMarshal.GetRawUtf8PropertyName(member);
        var hasUnderscore = name.IndexOf((byte)'_') >= 0;
        var properties = info.Properties;
        for (var i = 0; i < properties.Count; i++) // indexed: foreach over the IList would allocate an enumerator
        {
            var property = properties[i];
            if (hasUnderscore ? MatchesProtoName(property.Name, name) : member.NameEquals(property.Name))
            {
                jsonName = property.Name;
                return property;
            }
        }

        jsonName = "";
        return null;
    }

    /// <summary>Whether <paramref name="protoName"/> (ASCII) is the proto spelling of <paramref name="jsonName"/>.</summary>
    private static bool MatchesProtoName(string jsonName, ReadOnlySpan<byte> protoName)
    {
        var j = 0;
        for (var i = 0; i < protoName.Length; i++, j++)
        {
            var b = protoName[i];
            if (b == '_')
            {
                if (++i == protoName.Length || j == jsonName.Length || jsonName[j] != char.ToUpperInvariant((char)protoName[i]))
                {
                    return false;
                }

                continue;
            }

            if (b >= 0x80 || j == jsonName.Length || jsonName[j] != (char)b)
            {
                return false;
            }
        }

        return j == jsonName.Length;
    }

    private static JsonTypeInfo? Child(JsonTypeInfo parent, Type type) =>
        parent.Options.TryGetTypeInfo(type, out var child) ? child : null;
}
