using Nabla.Backends.Reference;

namespace Nabla.Tests.TestUtil;

/// <summary>Value comparisons with tolerances that scale with magnitude, and readable failures.</summary>
internal static class Approx
{
    /// <summary>
    /// Asserts same shape and |actual - expected| &lt;= tol * (1 + |expected|) elementwise; NaN matches
    /// only NaN and infinities must be equal. The message names the first offending element.
    /// </summary>
    public static void Equal(RefArray expected, Tensor actual, double tol, string what)
    {
        Assert.True(expected.Shape.AsSpan().SequenceEqual(actual.Shape.ToArray()),
            $"{what}: shape {actual.Shape} but the reference has shape {Shape.Format(expected.Shape)}.");
        Equal(expected.Data, actual.ToDoubleArray(), tol, what, expected.Shape);
    }

    /// <summary>As <see cref="Equal(RefArray, Tensor, double, string)"/> for a reference held in a tensor (e.g. a libtorch fixture).</summary>
    public static void Equal(Tensor expected, Tensor actual, double tol, string what)
    {
        Assert.True(expected.Shape.ToArray().AsSpan().SequenceEqual(actual.Shape.ToArray()),
            $"{what}: shape {actual.Shape} but the reference has shape {expected.Shape}.");
        Equal(expected.ToDoubleArray(), actual.ToDoubleArray(), tol, what, expected.Shape.ToArray());
    }

    public static void Equal(double[] expected, double[] actual, double tol, string what, int[]? shape = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? a == e
                : Math.Abs(a - e) <= tol * (1 + Math.Abs(e));
            if (!ok)
            {
                var at = shape is null ? $"[{i}]" : Shape.Format(new RefArray(expected, shape).Unravel(i));
                Assert.Fail($"{what}: element {at} is {a:R}, expected {e:R} (difference {Math.Abs(a - e):G4}, tolerance {tol:G4} * (1 + |expected|)).");
            }
        }
    }

    /// <summary>Asserts |a - b| &lt;= tol * (1 + scale) for two scalars.</summary>
    public static void Close(double expected, double actual, double tol, double scale, string what)
    {
        Assert.True(Math.Abs(expected - actual) <= tol * (1 + scale),
            $"{what}: {actual:R} vs {expected:R} (difference {Math.Abs(expected - actual):G4}, tolerance {tol:G4} * (1 + {scale:G4})).");
    }
}
