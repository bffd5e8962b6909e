using Nabla.Backends.Reference;
using Nabla.Tests.OpDb;
using Nabla.Tests.TestUtil;
using Db = Nabla.Tests.OpDb.OpDb;

namespace Nabla.Tests.Forward;

/// <summary>
/// The public ForwardAccumulator and the internal ForwardMode.Jvp (which OpDbTests checks against
/// finite differences) agree on every OpDb entry, so the generic JVP checks cover the public API.
/// Also: the accumulator reports a tangent (not null) whenever the JVP is not identically zero, so
/// OpDbTests' zero fallback for a missing tangent can't hide a rule that returns null.
/// </summary>
public class OpDbForwardAgreementTests
{
    [Theory, MemberData(nameof(Db.Names), MemberType = typeof(Db))]
    public void AccumulatorAgreesWithInternalJvp(string name)
    {
        var entry = Db.Get(name);
        if (!entry.Differentiable) return;
        foreach (var sample in entry.Samples())
        {
            var all = sample.Inputs;
            var idx = entry.GradInputs ?? Enumerable.Range(0, all.Length).Where(i => all[i].DType.IsFloating()).ToArray();
            Tensor F(Tensor[] xs)
            {
                var args = (Tensor[])all.Clone();
                for (int k = 0; k < idx.Length; k++) args[idx[k]] = xs[k];
                return entry.Op(args);
            }
            var inputs = idx.Select(i => all[i]).ToArray();
            var v = inputs.Select((x, k) => TestTensors.RandomLike(x, seed: 40 + k)).ToArray();
            string what = $"{name} / {sample.Name}";

            var (y, dy) = Engine.ForwardMode.Jvp(F, inputs, v);
            // Fresh views as primals (an input may appear twice in a sample; each gets its own tangent).
            var primals = inputs.Select(x => x.Detach()).ToArray();
            Tensor y2;
            Tensor? t;
            using (var acc = new ForwardAccumulator(primals, v))
            {
                y2 = F(primals);
                t = acc.Jvp(y2);
            }
            Approx.Equal(RefArray.From(y), y2, 1e-14, what + ": primal");
            if (t is null)
            {
                Assert.True(TestTensors.D(dy).All(d => d == 0), $"{what}: the accumulator has no tangent but ForwardMode.Jvp's is nonzero.");
                continue;
            }
            Assert.True(t.Shape.Equals(y2.Shape), $"{what}: tangent shape {t.Shape}, output {y2.Shape}.");
            Assert.Equal(y2.DType, t.DType);
            Approx.Equal(RefArray.From(dy), t, 1e-14, what + ": accumulator vs ForwardMode.Jvp");
        }
    }

    [Fact]
    public void EveryDifferentiableEntryHasANonzeroJvpSomewhere()
    {
        // A rule that returned null (zero tangent) would pass OpDbTests only where the true JVP is zero;
        // check that no differentiable entry is of that kind, so the finite-difference check has teeth.
        var zeroEverywhere = new List<string>();
        foreach (var entry in Db.All.Where(e => e.Differentiable && !e.ZeroDerivative))
        {
            bool nonzero = false;
            foreach (var sample in entry.Samples())
            {
                var all = sample.Inputs;
                var idx = entry.GradInputs ?? Enumerable.Range(0, all.Length).Where(i => all[i].DType.IsFloating()).ToArray();
                var primals = idx.Select(i => all[i].Detach()).ToArray();
                var v = primals.Select((x, k) => TestTensors.RandomLike(x, seed: 50 + k)).ToArray();
                using var acc = new ForwardAccumulator(primals, v);
                var args = (Tensor[])all.Clone();
                for (int k = 0; k < idx.Length; k++) args[idx[k]] = primals[k];
                if (acc.Jvp(entry.Op(args)) is { } t && TestTensors.D(t).Any(d => d != 0)) nonzero = true;
            }
            if (!nonzero) zeroEverywhere.Add(entry.Name);
        }
        Assert.True(zeroEverywhere.Count == 0, "entries whose JVP is null or zero on every sample: " + string.Join(", ", zeroEverywhere));
    }
}
