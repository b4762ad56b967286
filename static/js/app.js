// Start the NHS.UK frontend components (character counts, header menu, error summary focus).
import { initAll } from "/static/vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
