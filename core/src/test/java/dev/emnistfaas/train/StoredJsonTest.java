package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The records a job keeps in Redis, written and read back the one way they are stored. */
class StoredJsonTest {
  @Test
  void everyRecordTypeReadsBackEqual() {
    WorkerPosition p = new WorkerPosition(WorkerState.DONE, 3, 17, 900, 28_800, -5L, 4, 90, 6.5, 0.25, 1.5,
        41_000.0, 1_000L, 2_000L, 3_000L, "emnist-train-1", 34_897);
    assertEquals(p, WorkerPosition.fromJson(p.toJson()));
    LiveProgress l = new LiveProgress(LiveProgress.Phase.WARM_START, 5, 1.25, 40_000, 39_000.5, 4_000L,
        "emnist-train-2");
    assertEquals(l, LiveProgress.fromJson(l.toJson()));
    WorkerCall c = new WorkerCall(7, 1_796_524_713_000L, 1_796_524_713_250L);
    assertEquals(c, WorkerCall.fromJson(c.toJson()));
    SliceRate r = new SliceRate(3, 12.5, 5_800.25);
    assertEquals(r, SliceRate.fromJson(r.toJson()));
    for (JobStop s : new JobStop[] {JobStop.target(9.5, 0.751), JobStop.cancelled(3), JobStop.failed(7, "boom")}) {
      assertEquals(s, JobStop.fromJson(s.toJson()));
    }
  }

  /** A job's config written before parameter averaging existed reads as the Downpour job it was. */
  @Test
  void aConfigStoredWithoutTheAveragingFieldsIsDownpour() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    TrainingConfig c = TrainingConfig.downpourDefaults("/data").with(java.util.Map.of("workers", 3));
    com.fasterxml.jackson.databind.node.ObjectNode old = (com.fasterxml.jackson.databind.node.ObjectNode)
        json.readTree(c.toJson());
    old.remove(java.util.List.of("algorithm", "localSteps", "roundSeconds", "roundUpdate"));
    TrainingConfig read = TrainingConfig.fromJson(old.toString());
    assertEquals(c, read);
    assertEquals(Algorithm.DOWNPOUR, read.trainingAlgorithm());
    assertThrows(IllegalArgumentException.class, () -> TrainingConfig.fromJson("[1]"));
  }

  /** A record missing a field is refused with its type and text, never read as zeros. */
  @Test
  void aRecordMissingAFieldIsRefusedByName() {
    String json = WorkerPosition.initial(7).toJson().replace("\"slices\":0,", "");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> WorkerPosition.fromJson(json));
    assertTrue(e.getMessage().startsWith("corrupt WorkerPosition record in the store") && e.getMessage().contains(json),
        e.getMessage());
  }
}
