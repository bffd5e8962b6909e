namespace Nabla.Backends.Cpu;

/// <summary>
/// Piecewise polynomial table for GELU's float32 kernel: 16 rows of seven floats stored column by column
/// (c0 of every row, then c1, ..., c6), so that one 16-entry permute (vpermps) per column fetches a lane's
/// row, and the seven columns fit in registers for a whole run. Row j approximates Φ(-a) on
/// a ∈ [j/4, (j + 1)/4) as c0 + v(c1 + v(c2 + ... + v·c6)) at v = 4a - j - 1/2 ∈ [-1/2, 1/2), Horner in float.
/// <para>
/// How it was made: per row, the relative error minimised (Lawson's iteratively reweighted least squares
/// on 60 Chebyshev nodes, in 30-digit arithmetic against Φ(-a) = erfc(a/√2)/2), then the coefficients
/// rounded to float one at a time from c0 up, the remaining ones refit after each rounding, so the rounding
/// errors partly cancel. Fit error before float evaluation: below 5.2e-8 relative in every row (mostly the
/// rounding of c0). FastMathTests checks the kernel, float evaluation included, against double.
/// </para>
/// </summary>
internal static class FastMathTables
{
    internal static ReadOnlySpan<float> GeluTable =>
    [
        // c0
        0.45026177f, 0.35383025f, 0.26598552f, 0.19078696f, 0.13029452f, 0.08456572f, 0.05208128f, 0.03039636f, 0.016793307f, 0.008774475f, 0.0043324484f, 0.0020201374f, 0.0008890253f, 0.00036907845f, 0.00014448073f, 5.331235E-5f,
        // c1
        -0.09895942f, -0.09296378f, -0.082040235f, -0.06801375f, -0.05296916f, -0.038753066f, -0.026634566f, -0.017196568f, -0.010430247f, -0.005942975f, -0.0031810454f, -0.00159953f, -0.0007555645f, -0.0003352797f, -0.00013976538f, -5.473291E-5f,
        // c2
        0.0015464823f, 0.0043566963f, 0.006410068f, 0.0074386816f, 0.0074488176f, 0.0066607413f, 0.0054101436f, 0.0040304987f, 0.0027705051f, 0.0017643145f, 0.0010437809f, 0.00057483756f, 0.00029514357f, 0.00014144633f, 6.333108E-5f, 2.6511267E-5f,
        // c3
        0.0010147452f, 0.00083236804f, 0.00052055484f, 0.00016609937f, -0.00014656581f, -0.0003595375f, -0.00045518912f, -0.00045066007f, -0.00038195544f, -0.0002872819f, -0.00019519126f, -0.00012106177f, -6.89904E-5f, -3.628949E-5f, -1.7675293E-5f, -7.9907295E-6f,
        // c4
        -2.6571463E-5f, -5.4982458E-5f, -9.3800976E-5f, -8.333423E-5f, -6.757479E-5f, -3.9054634E-5f, -1.00990055E-5f, 1.0330441E-5f, 2.2144683E-5f, 2.4325169E-5f, 2.114687E-5f, 1.5705325E-5f, 1.0389321E-5f, 6.1796986E-6f, 3.345962E-6f, 1.6590421E-6f,
        // c5
        -9.415906E-6f, -7.4460027E-6f, -1.2120643E-6f, 1.9391484E-6f, 5.1720995E-6f, 6.072427E-6f, 5.112097E-6f, 3.3519345E-6f, 1.2047644E-6f, -1.8983556E-7f, -9.4209173E-7f, -1.1129725E-6f, -9.738434E-7f, -7.0201526E-7f, -4.414398E-7f, -2.4718415E-7f,
        // c6
        6.95392E-6f, -2.4562567E-5f, 1.752421E-5f, -7.529882E-6f, 1.034326E-6f, 1.3829135E-6f, -3.2836726E-7f, 8.298073E-7f, -9.49379E-7f, -3.2791553E-7f, -6.3192374E-8f, 1.4332191E-7f, 6.550792E-8f, 5.080918E-8f, 3.6021195E-8f, 2.6056094E-8f,
    ];
}
