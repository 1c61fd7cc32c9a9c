// The report sections checkers add (sections.ts): importing this registers every one.
import "./agreement.ts";
