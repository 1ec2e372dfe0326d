package dev.emnistfaas.nn;

/**
 * tanh in float precision without {@link Math#tanh}'s double-precision cost: the rational 13/6 approximation
 * that Eigen uses, clamped where tanh rounds to ±1 in float. Maximum error about 2e-7 (tested).
 */
public final class FastTanh {
  static final float CLAMP = 7.90531110763549805f;
  static final float A1 = 4.89352455891786e-03f;
  static final float A3 = 6.37261928875436e-04f;
  static final float A5 = 1.48572235717979e-05f;
  static final float A7 = 5.12229709037114e-08f;
  static final float A9 = -8.60467152213735e-11f;
  static final float A11 = 2.00018790482477e-13f;
  static final float A13 = -2.76076847742355e-16f;
  static final float B0 = 4.89352518554385e-03f;
  static final float B2 = 2.26843463243900e-03f;
  static final float B4 = 1.18534705686654e-04f;
  static final float B6 = 1.19825839466702e-06f;

  private FastTanh() {}

  public static float tanh(float v) {
    float x = v > CLAMP ? CLAMP : (v < -CLAMP ? -CLAMP : v);
    float x2 = x * x;
    float p = x2 * A13 + A11;
    p = x2 * p + A9;
    p = x2 * p + A7;
    p = x2 * p + A5;
    p = x2 * p + A3;
    p = x2 * p + A1;
    p = x * p;
    float q = x2 * B6 + B4;
    q = x2 * q + B2;
    q = x2 * q + B0;
    return p / q;
  }
}
