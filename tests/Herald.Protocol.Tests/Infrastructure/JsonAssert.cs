using System.Text.Json.Nodes;

namespace Herald.Protocol.Tests.Infrastructure;

/// <summary>Compares JSON field by field (member order ignored) and names the first path that differs.</summary>
internal static class JsonAssert
{
    public static void Equal(string expected, string actual) =>
        Equal(JsonNode.Parse(expected), JsonNode.Parse(actual));

    public static void Equal(JsonNode? expected, JsonNode? actual)
    {
        if (FirstDifference(expected, actual, "$") is { } difference)
        {
            Assert.Fail($"JSON differs at {difference}\nexpected {expected?.ToJsonString()}\nactual   {actual?.ToJsonString()}");
        }
    }

    private static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (null, null):
                return null;
            case (JsonObject e, JsonObject a):
                foreach (var (name, value) in e)
                {
                    if (!a.ContainsKey(name))
                    {
                        return $"{path}.{name} (missing)";
                    }

                    if (FirstDifference(value, a[name], $"{path}.{name}") is { } inner)
                    {
                        return inner;
                    }
                }

                foreach (var (name, _) in a)
                {
                    if (!e.ContainsKey(name))
                    {
                        return $"{path}.{name} (unexpected)";
                    }
                }

                return null;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    return $"{path} (length {a.Count}, expected {e.Count})";
                }

                for (var i = 0; i < e.Count; i++)
                {
                    if (FirstDifference(e[i], a[i], $"{path}[{i}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return JsonNode.DeepEquals(expected, actual)
                    ? null
                    : $"{path}: {actual?.ToJsonString() ?? "null"} instead of {expected?.ToJsonString() ?? "null"}";
        }
    }
}
