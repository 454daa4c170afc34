using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Custos.Ssh.Tests.Wire;

/// <summary>
/// Structural equality for message records: byte fields (<see cref="ReadOnlyMemory{T}"/>, arrays) by content,
/// lists and tuples element by element, records property by property. Record equality alone compares
/// memory and arrays by reference, which a decoded copy never matches.
/// </summary>
internal static class Structural
{
    public static void AssertEqual(object? expected, object? actual, string path = "message")
    {
        switch (expected, actual)
        {
            case (null, null):
                return;
            case (null, _) or (_, null):
                Assert.Fail($"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
                return;
            case (ReadOnlyMemory<byte> e, ReadOnlyMemory<byte> a):
                Assert.True(e.Span.SequenceEqual(a.Span), $"{path}: bytes differ ({Convert.ToHexString(e.Span)} vs {Convert.ToHexString(a.Span)})");
                return;
            case (string e, string a):
                Assert.True(e == a, $"{path}: '{e}' vs '{a}'");
                return;
            case (ITuple e, ITuple a):
                Assert.Equal(e.Length, a.Length);
                for (var i = 0; i < e.Length; i++)
                {
                    AssertEqual(e[i], a[i], $"{path}.Item{i + 1}");
                }
                return;
            case (IEnumerable e, IEnumerable a):
                var left = e.Cast<object?>().ToList();
                var right = a.Cast<object?>().ToList();
                Assert.True(left.Count == right.Count, $"{path}: {left.Count} elements vs {right.Count}");
                for (var i = 0; i < left.Count; i++)
                {
                    AssertEqual(left[i], right[i], $"{path}[{i}]");
                }
                return;
        }
        var type = expected.GetType();
        Assert.True(type == actual.GetType(), $"{path}: {type.Name} vs {actual.GetType().Name}");
        if (type.IsPrimitive || type.IsEnum)
        {
            Assert.True(expected.Equals(actual), $"{path}: {expected} vs {actual}");
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            AssertEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }
}
