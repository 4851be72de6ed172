//! The TypeScript declarations of the options and results the binding's methods take and
//! return (wasm-bindgen writes them into `quiver.d.ts` beside the classes).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export type Metric = "cosine" | "dot" | "l2";
export type Quantization = "none" | "int8" | "binary" | "pq";

export interface IndexOptions {
  /** Length of every vector, 1 to 65536. */
  dimensions: number;
  /** Default "cosine" (vectors are L2-normalised on insert). */
  metric?: Metric;
  /** Default "binary". */
  quantization?: Quantization;
  /** Calibration quantile in (0.5, 1]: the fraction of each dimension's values inside the
   * int8 bounds. Default 0.999. */
  int8?: { quantile?: number };
  /** `subspaces` must divide `dimensions` (default: dimensions / 8 for 8 bits, / 4 for 4 bits).
   * `bits` 8 (256 centroids) or 4 (16 centroids, fast-scan). `seed` fixes k-means++. */
  pq?: { subspaces?: number; bits?: 4 | 8; seed?: number };
  /** `centered` takes signs of x − mean; `query` "asymmetric" (default: the query keeps full
   * precision) or "hamming" (the query is reduced to sign bits too). `refine`: extra bits per
   * dimension (0-4, default 3; 144 bytes a vector at 384 dimensions) that re-estimate the
   * scan's best candidates with an error bound, so that a search re-scores (reads) only the
   * originals that can still reach its top k, and without rescoring ranks far better
   * (recall@10 0.955 against 0.75 on MiniLM vectors). 0 keeps 1-bit codes alone. */
  binary?: { centered?: boolean; query?: "asymmetric" | "hamming"; refine?: 0 | 1 | 2 | 3 | 4 };
  /** Metadata fields to index for filters (`where`), by name: their values are read from
   * each added metadata object. A value of another type is an error; a missing or null
   * value is no value. Stored with the index; reopening must declare the same fields. */
  fields?: Record<string, FieldKind>;
}

export interface SearchOptions {
  /** Number of hits, an integer ≥ 1. Default 10. */
  k?: number;
  /** Candidates taken from the codes = ceil(k × oversampling), e.g. 2.4 × 100 = 240.
   * Default per quantization: none 1, int8 2, binary 10, pq 10. With binary refinement it is
   * a cap: only the candidates whose error bound can still reach the top k are re-scored. */
  oversampling?: number;
  /** Re-score the candidates with the original vectors. Default true. */
  rescore?: boolean;
  /** Ignore the codes: exact scan of the originals (for evaluation). Default false. */
  exact?: boolean;
  /** Only the vectors this filter selects (on the declared fields). */
  where?: Where;
}

/** How a declared field is indexed: a string, an array of strings, a finite number, or a
 * boolean. */
export type FieldKind = "keyword" | "keyword[]" | "number" | "boolean";

/** A condition on one declared field: a value (equality; for "keyword[]" fields, contains),
 * an array of values (any of them), or operators that must all hold. */
export type Condition =
  | string | number | boolean
  | Array<string | number | boolean>
  | { eq?: string | number | boolean; in?: Array<string | number | boolean>;
      gt?: number; gte?: number; lt?: number; lte?: number; exists?: boolean };

/** A filter on the declared fields: every key must match. `and`, `or` and `not` combine
 * filters; `ids` keeps the listed ids only. */
export type Where = {
  and?: Where[];
  or?: Where[];
  not?: Where;
  ids?: string[];
  [field: string]: Condition | Where[] | Where | string[] | undefined;
};

export interface ListOptions {
  /** Only the vectors this filter selects. */
  where?: Where;
  /** Start after this id (the last id of the previous page). */
  after?: string;
  /** Most entries, 1 to 10000. Default 100. */
  limit?: number;
}

/** One entry of `list`. */
export interface Listed {
  id: string;
  metadata?: unknown;
}

export interface Hit {
  id: string;
  /** Cosine similarity or inner product (higher is better), or Euclidean distance (lower is
   * better). Without rescoring, the codes' estimate on the same scale. */
  score: number;
  metadata?: unknown;
}
"#;
