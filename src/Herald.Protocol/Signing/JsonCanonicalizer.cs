using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Herald.Protocol.Signing;

/// <summary>
/// The JSON Canonicalization Scheme (RFC 8785): the bytes two parties agree on before one signs a JSON document and
/// the other verifies it. Object members sorted by their names' UTF-16 code units, no whitespace, strings with only
/// the escapes ECMAScript's <c>JSON.stringify</c> writes, numbers as IEEE 754 doubles in ECMAScript's shortest form.
/// </summary>
public static class JsonCanonicalizer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The canonical UTF-8 form of the JSON document <paramref name="utf8Json"/>.</summary>
    /// <exception cref="JsonException">Not JSON, a duplicate member name, or a number that is not a finite double.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        using var document = JsonDocument.ParseValue(ref reader);
        return Canonicalize(document.RootElement);
    }

    /// <summary>The canonical UTF-8 form of <paramref name="value"/>.</summary>
    /// <exception cref="JsonException">A duplicate member name, or a number that is not a finite double.</exception>
    public static byte[] Canonicalize(JsonElement value) => Canonicalize(value, excludeTopLevelMember: null);

    /// <summary>As <see cref="Canonicalize(JsonElement)"/>, leaving out the root object's member <paramref name="excludeTopLevelMember"/>.</summary>
    internal static byte[] Canonicalize(JsonElement value, string? excludeTopLevelMember)
    {
        var text = new StringBuilder(1024);
        Write(value, text, excludeTopLevelMember);
        try
        {
            return StrictUtf8.GetBytes(text.ToString());
        }
        catch (EncoderFallbackException ex)
        {
            throw new JsonException("A string holds a lone UTF-16 surrogate, which has no UTF-8 form (RFC 8785 3.2.2.2).", ex);
        }
    }

    private static void Write(JsonElement value, StringBuilder output, string? exclude)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(value, output, exclude);
                break;
            case JsonValueKind.Array:
                output.Append('[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Append(',');
                    }

                    first = false;
                    Write(item, output, null);
                }

                output.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(value.GetString()!, output);
                break;
            case JsonValueKind.Number:
                if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    throw new JsonException($"The number {value.GetRawText()} is not a finite IEEE 754 double (RFC 8785 3.2.2.3).");
                }

                output.Append(FormatNumber(number));
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.Null:
                output.Append("null");
                break;
            default:
                throw new JsonException($"Unexpected JSON value kind {value.ValueKind}.");
        }
    }

    private static void WriteObject(JsonElement value, StringBuilder output, string? exclude)
    {
        var members = new List<JsonProperty>();
        foreach (var member in value.EnumerateObject())
        {
            if (exclude is null || member.Name != exclude)
            {
                members.Add(member);
            }
        }

        // Sorted by UTF-16 code units (RFC 8785 3.2.3), which is what an ordinal string comparison does.
        members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        output.Append('{');
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                // Two parsers could read a duplicated name differently: such a document has no canonical form (I-JSON).
                if (members[i].Name == members[i - 1].Name)
                {
                    throw new JsonException($"The member name \"{members[i].Name}\" appears twice in one object; RFC 8785 does not canonicalize duplicates.");
                }

                output.Append(',');
            }

            WriteString(members[i].Name, output);
            output.Append(':');
            Write(members[i].Value, output, null);
        }

        output.Append('}');
    }

    /// <summary>RFC 8785 3.2.2.2: the escapes of ECMAScript's <c>JSON.stringify</c> and no others.</summary>
    private static void WriteString(string value, StringBuilder output)
    {
        output.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case '\b':
                    output.Append("\\b");
                    break;
                case '\f':
                    output.Append("\\f");
                    break;
                case '\n':
                    output.Append("\\n");
                    break;
                case '\r':
                    output.Append("\\r");
                    break;
                case '\t':
                    output.Append("\\t");
                    break;
                case < ' ':
                    output.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }

        output.Append('"');
    }

    /// <summary>
    /// ECMAScript's Number::toString for a finite double (ECMA-262 7.1.12.1, RFC 8785 3.2.2.3): the shortest digits
    /// that read back as the same double (which .NET's round-trip formatting also finds), laid out as ECMAScript does.
    /// </summary>
    internal static string FormatNumber(double value)
    {
        if (value == 0)
        {
            return "0"; // -0 too
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = text[0] == '-';
        if (negative)
        {
            text = text[1..];
        }

        // .NET writes d.ddd, ddd.ddd or d.dddE+xx: take the digits and where the decimal point falls.
        var exponentAt = text.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? text : text[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(text.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var n = (dot < 0 ? mantissa.Length : dot) + exponent; // value = 0.digits × 10^n
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0')
        {
            leading++;
        }

        digits = digits[leading..].TrimEnd('0');
        n -= leading;
        var k = digits.Length;

        var result = new StringBuilder(32);
        if (negative)
        {
            result.Append('-');
        }

        if (k <= n && n <= 21)
        {
            result.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            result.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            result.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            result.Append(digits[0]);
            if (k > 1)
            {
                result.Append('.').Append(digits, 1, k - 1);
            }

            var e = n - 1;
            result.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }

        return result.ToString();
    }
}
