using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Herald.Protocol.Signing;

namespace Herald.Protocol.Tests.Signing;

/// <summary>RFC 8785 vectors: the RFC's own examples (3.2.2, 3.2.3, appendix B) and hand-checked edge cases.</summary>
public sealed class JsonCanonicalizerTests
{
    private static string Canonical(string json) => Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Canonicalize_Rfc8785Section322Example_MatchesTheRfc()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;

        Assert.Equal(
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
            Canonical(input));
    }

    [Fact]
    public void Canonicalize_KeysWithNonAsciiAndSurrogatePairs_SortByUtf16CodeUnits()
    {
        // RFC 8785 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16, though after it by code point.
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        var names = JsonDocument.Parse(Canonical(input)).RootElement.EnumerateObject().Select(p => p.Value.GetString()!).ToArray();

        Assert.Equal(
            ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"],
            names);
    }

    [Fact]
    public void Canonicalize_NestedObjectsAndWhitespace_SortsEveryLevelAndDropsWhitespace()
    {
        Assert.Equal("{\"a\":{\"A\":[],\"b\":{}},\"b\":[{\"x\":1,\"y\":2}]}", Canonical(" { \"b\" : [ { \"y\" : 2 , \"x\" : 1 } ] ,\n \"a\" : { \"b\" : { } , \"A\" : [ ] } } "));
    }

    [Theory]
    [InlineData("\"\\u0000\\u001f\\u007f\"", "\"\\u0000\\u001f\u007f\"")] // control characters lower-case hex; DEL is not one
    [InlineData("\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\"")] // the short escapes
    [InlineData("\"\\/\\u00e9\\u2028<>&'\"", "\"/é\u2028<>&'\"")] // no other escapes, unlike HTML-safe encoders
    [InlineData("\"\\ud83d\\ude00\"", "\"😀\"")] // a surrogate pair becomes its UTF-8 bytes
    [InlineData("\"\\\"\\\\\"", "\"\\\"\\\\\"")]
    public void Canonicalize_Strings_EscapeOnlyWhatRfc8785Requires(string input, string expected) =>
        Assert.Equal(expected, Canonical(input));

    [Theory]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("-0", "0")]
    [InlineData("-0.0", "0")]
    [InlineData("100", "100")]
    [InlineData("1E2", "100")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("123456789012345680000", "123456789012345680000")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("12.50", "12.5")]
    [InlineData("0.1", "0.1")]
    [InlineData("1.5e-10", "1.5e-10")]
    [InlineData("-123.456e3", "-123456")]
    [InlineData("9007199254740993", "9007199254740992")] // beyond 2^53: the nearest double
    public void Canonicalize_Numbers_UseEcmaScriptShortestForm(string input, string expected) =>
        Assert.Equal(expected, Canonical(input));

    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void Canonicalize_Rfc8785AppendixBNumbers_MatchTheRfc(string ieeeHex, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(ieeeHex)));
        var json = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(expected, Canonical(json));
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}")] // duplicate names have no canonical form
    [InlineData("1e400")] // not a finite double
    [InlineData("\"\\ud800\"")] // a lone surrogate has no UTF-8 form
    public void Canonicalize_InputWithoutCanonicalForm_Throws(string input) =>
        Assert.ThrowsAny<Exception>(() => Canonical(input));
}
