using System.Text.Json.Nodes;

namespace Herald.AspNetCore;

/// <summary>
/// Adds one JSON document's members to another, for answers that must read right to clients of two
/// generations at once (an agent card with both generations' fields; a v0.3 answer that also carries what
/// tutorial-era clients read). JSON readers skip members they do not know, so the union serves both.
/// </summary>
internal static class JsonMerge
{
    /// <summary>
    /// Copies into <paramref name="primary"/> every member of <paramref name="extra"/> it lacks, recursively:
    /// objects are merged member by member, arrays of the same length element by element; where both have a
    /// value that cannot be merged, <paramref name="primary"/>'s wins. Returns <paramref name="primary"/>.
    /// </summary>
    public static JsonNode Merge(JsonNode primary, JsonNode? extra)
    {
        switch (primary, extra)
        {
            case (JsonObject target, JsonObject source):
                foreach (var (name, value) in source)
                {
                    if (!target.TryGetPropertyValue(name, out var existing))
                    {
                        target[name] = value?.DeepClone();
                    }
                    else if (existing is not null)
                    {
                        Merge(existing, value);
                    }
                }

                break;
            case (JsonArray target, JsonArray source) when target.Count == source.Count:
                for (var i = 0; i < target.Count; i++)
                {
                    if (target[i] is { } element)
                    {
                        Merge(element, source[i]);
                    }
                }

                break;
        }

        return primary;
    }
}
